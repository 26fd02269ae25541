// JACK clients that listen to another client's output ports: the probe counts audible
// samples; JackInputClient is what every such listener shares (client, one input port,
// connecting to output ports by name).
#pragma once

#include <jack/jack.h>

#include <atomic>
#include <string>

namespace stillroom::test {

class JackInputClient {
public:
    bool ok() const { return client_ != nullptr; }
    // Connects every output port whose name matches `pattern` (a JACK port regex) to the
    // input. Returns how many new connections were made.
    int connect_from(const std::string& pattern);

protected:
    // Opens `name` on `server` (never starting a server) with one input port "in".
    JackInputClient(const std::string& server, const char* name);
    ~JackInputClient() { close(); }
    JackInputClient(const JackInputClient&) = delete;
    JackInputClient& operator=(const JackInputClient&) = delete;
    // The derived class calls these: activate once its members are ready, close before
    // they are destroyed (the process callback reads them).
    void activate(JackProcessCallback process, void* self);
    void close();
    jack_client_t* client_ = nullptr;
    jack_port_t* in_ = nullptr;
};

class JackProbe final : public JackInputClient {
public:
    explicit JackProbe(const std::string& server);
    ~JackProbe() { close(); }
    long audible() const { return audible_.load(); }
    float peak() const { return peak_.load(); }

private:
    static int process(jack_nframes_t n, void* self);
    std::atomic<long> audible_{0};
    std::atomic<float> peak_{0};
};

} // namespace stillroom::test
