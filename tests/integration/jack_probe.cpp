// The JACK listener clients.
#include "jack_probe.hpp"

#include <algorithm>
#include <cmath>

namespace stillroom::test {

JackInputClient::JackInputClient(const std::string& server, const char* name) {
    jack_status_t status;
    client_ =
        jack_client_open(name, static_cast<jack_options_t>(JackNoStartServer | JackServerName),
                         &status, server.c_str());
    if (client_)
        in_ = jack_port_register(client_, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
}

void JackInputClient::activate(JackProcessCallback process, void* self) {
    if (!client_) return;
    jack_set_process_callback(client_, process, self);
    jack_activate(client_);
}

void JackInputClient::close() {
    if (!client_) return;
    jack_deactivate(client_);
    jack_client_close(client_);
    client_ = nullptr;
}

int JackInputClient::connect_from(const std::string& pattern) {
    if (!client_) return 0;
    const char** ports =
        jack_get_ports(client_, pattern.c_str(), JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput);
    int n = 0;
    if (!ports) return 0;
    for (int i = 0; ports[i]; ++i)
        if (jack_connect(client_, ports[i], jack_port_name(in_)) == 0) ++n;
    jack_free(ports);
    return n;
}

JackProbe::JackProbe(const std::string& server) : JackInputClient(server, "stillroom-probe") {
    activate(&JackProbe::process, this);
}

int JackProbe::process(jack_nframes_t n, void* self) {
    auto* p = static_cast<JackProbe*>(self);
    const auto* buf = static_cast<const float*>(jack_port_get_buffer(p->in_, n));
    long count = 0;
    float peak = p->peak_.load();
    for (jack_nframes_t i = 0; i < n; ++i) {
        const float a = std::fabs(buf[i]);
        count += a > 1e-5f;
        peak = std::max(peak, a);
    }
    p->audible_.fetch_add(count);
    p->peak_.store(peak);
    return 0;
}

} // namespace stillroom::test
