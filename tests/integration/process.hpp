// Starting and stopping helper processes (brokers, mosquitto_sub) for integration tests.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace stillroom::test {

class Process {
public:
    Process() = default;
    // Starts argv[0] from PATH; stdout to `stdout_file` (or /dev/null), stderr to /dev/null.
    bool start(const std::vector<std::string>& argv, const std::string& stdout_file = "");
    ~Process() { stop(); }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    void stop();       // SIGTERM, then SIGKILL after 2 s
    void kill_hard();  // SIGKILL at once
    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_loopback_port();
// Waits (bounded, 10 s) until something accepts connections on 127.0.0.1:port.
bool wait_for_port(int port);

} // namespace stillroom::test
