// A real JACK server with the dummy driver, started and stopped by the test itself, under
// a server name of its own so it never touches another JACK on the machine.
#pragma once

#include "process.hpp"

#include <string>

namespace stillroom::test {

class JackServer {
public:
    // Starts `jackd -n NAME -d dummy -r RATE -p PERIOD` and waits (bounded) until it answers.
    // Names are fixed per test (not per process): JACK keeps a registry of 8 server names in
    // /dev/shm, and an entry is reclaimed only by a server of the same name, so a test
    // server that was ever SIGKILLed (a crash, a timeout) must not leave a slot taken for
    // good.
    explicit JackServer(std::string name, int rate = 48000, int period = 512);
    ~JackServer();
    // False if it did not come up within 10 s; error() then says why (jackd's own output).
    // If jackd refuses because JACK's registry is full and no JACK server runs on the
    // machine, the registry is stale (servers killed without unregistering): it is cleared
    // once, as a reboot would, and the start retried. A jackd of the same name left running
    // by a killed test run is stopped first.
    bool start();
    void kill_hard() { jackd_.kill_hard(); } // SIGKILL, as a crash would
    bool running() const { return jackd_.running(); }
    const std::string& name() const { return name_; }
    const std::string& error() const { return error_; }

private:
    bool spawn_and_wait();

    std::string name_;
    int rate_;
    int period_;
    Process jackd_;
    std::string log_;
    std::string error_;
};

// The fixed name for a test's server, with $STILLROOM_TEST_JACK_SUFFIX appended when set,
// so that test runs in two checkouts on one machine do not share (or stop) a server.
std::string jack_test_server_name(const std::string& base);

// Sets JACK_DEFAULT_SERVER so every JACK client in this process (PortAudio, RtMidi) uses
// the test server.
void use_jack_server(const std::string& name);

} // namespace stillroom::test
