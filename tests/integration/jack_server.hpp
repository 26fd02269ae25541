// A real JACK server with the dummy driver, started and stopped by the test itself, under
// a server name of its own so it never touches another JACK on the machine.
#pragma once

#include <string>
#include <sys/types.h>

namespace stillroom::test {

class JackServer {
public:
    // Starts `jackd -n NAME -d dummy -r RATE -p PERIOD` and waits (bounded) until it answers.
    explicit JackServer(std::string name, int rate = 48000, int period = 512);
    ~JackServer();
    bool start();       // false if it did not come up within 10 s
    void kill_hard();   // SIGKILL, as a crash would
    bool running() const { return pid_ > 0; }
    const std::string& name() const { return name_; }

private:
    std::string name_;
    int rate_;
    int period_;
    pid_t pid_ = -1;
};

// Sets JACK_DEFAULT_SERVER so every JACK client in this process (PortAudio, RtMidi) uses
// the test server.
void use_jack_server(const std::string& name);

} // namespace stillroom::test
