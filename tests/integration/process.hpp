// Starting and stopping helper processes (brokers, mosquitto_sub, jackd) for integration tests.
#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace stillroom::test {

class Process {
public:
    Process() = default;
    // Starts argv[0] from PATH; stdout appended to `stdout_file` (or /dev/null), stderr to
    // /dev/null or, with `stderr_too`, to the same file.
    bool start(const std::vector<std::string>& argv, const std::string& stdout_file = "",
               bool stderr_too = false);
    ~Process() { stop(); }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    // SIGTERM, then SIGKILL after `grace`.
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
    void kill_hard(); // SIGKILL at once
    bool exited();    // true once the process has ended (it is then reaped and forgotten)
    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
};

// mosquitto on 127.0.0.1:port (anonymous, no persistence, plus `extra` config lines), its
// config written into `dir`. start() returns once the broker accepts connections (bounded).
class Broker {
public:
    Broker(const std::string& dir, int port, const std::string& extra = "");
    bool start();
    void stop() { process_.stop(); }
    void kill_hard() { process_.kill_hard(); }
    pid_t pid() const { return process_.pid(); } // to freeze it (SIGSTOP) and thaw it

private:
    std::string conf_;
    int port_;
    Process process_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_loopback_port();
// Waits (bounded, 10 s) until something accepts connections on 127.0.0.1:port.
bool wait_for_port(int port);

} // namespace stillroom::test
