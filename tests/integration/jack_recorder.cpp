// The JACK recorder client.
#include "jack_recorder.hpp"

#include <algorithm>

namespace stillroom::test {

JackRecorder::JackRecorder(const std::string& server, double seconds) {
    jack_status_t status;
    client_ = jack_client_open("stillroom-recorder", static_cast<jack_options_t>(JackNoStartServer | JackServerName),
                               &status, server.c_str());
    if (!client_) return;
    rate_ = static_cast<int>(jack_get_sample_rate(client_));
    buffer_.assign(static_cast<std::size_t>(seconds * rate_), 0.0f);
    in_ = jack_port_register(client_, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(client_, &JackRecorder::process, this);
    jack_activate(client_);
}

JackRecorder::~JackRecorder() {
    if (client_) {
        jack_deactivate(client_);
        jack_client_close(client_);
    }
}

int JackRecorder::process(jack_nframes_t n, void* self) {
    // Runs on: JACK's process thread. Copies into the preallocated buffer, nothing else.
    auto* r = static_cast<JackRecorder*>(self);
    const auto* in = static_cast<const float*>(jack_port_get_buffer(r->in_, n));
    const std::size_t at = r->written_.load(std::memory_order_relaxed);
    const std::size_t take = std::min<std::size_t>(n, r->buffer_.size() - at);
    std::copy(in, in + take, r->buffer_.begin() + static_cast<std::ptrdiff_t>(at));
    r->written_.store(at + take, std::memory_order_release);
    return 0;
}

int JackRecorder::connect_from(const std::string& pattern) {
    if (!client_) return 0;
    const char** ports = jack_get_ports(client_, pattern.c_str(), JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput);
    int n = 0;
    if (!ports) return 0;
    for (int i = 0; ports[i]; ++i)
        if (jack_connect(client_, ports[i], jack_port_name(in_)) == 0) ++n;
    jack_free(ports);
    return n;
}

} // namespace stillroom::test
