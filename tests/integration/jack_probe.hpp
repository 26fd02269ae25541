// A JACK client that listens to another client's output ports and counts audible samples.
#pragma once

#include <jack/jack.h>

#include <atomic>
#include <string>

namespace stillroom::test {

class JackProbe {
public:
    explicit JackProbe(const std::string& server);
    ~JackProbe();
    bool ok() const { return client_ != nullptr; }
    // Connects every output port whose name contains `pattern` to the probe's input.
    int connect_from(const std::string& pattern);
    long audible() const { return audible_.load(); }
    float peak() const { return peak_.load(); }

private:
    static int process(jack_nframes_t n, void* self);
    jack_client_t* client_ = nullptr;
    jack_port_t* in_ = nullptr;
    std::atomic<long> audible_{0};
    std::atomic<float> peak_{0};
};

} // namespace stillroom::test
