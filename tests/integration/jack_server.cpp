// Starting and stopping a test JACK server.
#include "jack_server.hpp"

#include <jack/jack.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace stillroom::test {

void use_jack_server(const std::string& name) { setenv("JACK_DEFAULT_SERVER", name.c_str(), 1); }

JackServer::JackServer(std::string name, int rate, int period) : name_(std::move(name)), rate_(rate), period_(period) {}

JackServer::~JackServer() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 50; ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        kill_hard();
    }
}

bool JackServer::start() {
    const std::string rate = std::to_string(rate_), period = std::to_string(period_);
    std::vector<std::string> args = {"jackd", "-n", name_, "--no-realtime", "-d", "dummy", "-r", rate, "-p", period};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawnp(&pid_, "jackd", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        pid_ = -1;
        return false;
    }
    // Bounded wait for the server to accept a client.
    for (int i = 0; i < 100; ++i) {
        jack_status_t status;
        jack_client_t* c = jack_client_open("probe-start", static_cast<jack_options_t>(JackNoStartServer | JackServerName),
                                            &status, name_.c_str());
        if (c) {
            jack_client_close(c);
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

void JackServer::kill_hard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

} // namespace stillroom::test
