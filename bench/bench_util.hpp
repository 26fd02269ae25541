// Helpers shared by the benchmarks: a free loopback port and a mosquitto broker on it.
#pragma once

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <spawn.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace stillroom::bench {

// Writes a file, making its folder.
inline void write_file(const std::filesystem::path& p, const std::string& text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

// A TCP port on 127.0.0.1 that was free a moment ago.
inline int free_loopback_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);
    return ntohs(a.sin_port);
}

// mosquitto on 127.0.0.1:port for the life of the object (anonymous, no persistence).
class Broker {
public:
    explicit Broker(int port, const std::string& extra = "")
        : conf_(std::filesystem::temp_directory_path() /
                ("stillroom-bench-" + std::to_string(getpid()) + "-" + std::to_string(port) +
                 ".conf")) {
        std::ofstream(conf_)
            << "listener " << port
            << " 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n"
            << extra;
        std::string c = conf_.string();
        char* argv[] = {const_cast<char*>("mosquitto"), const_cast<char*>("-c"), c.data(), nullptr};
        if (posix_spawnp(&pid_, "mosquitto", nullptr, nullptr, argv, environ) != 0) pid_ = -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    ~Broker() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
        std::error_code ec;
        std::filesystem::remove(conf_, ec);
    }
    Broker(const Broker&) = delete;
    Broker& operator=(const Broker&) = delete;
    bool ok() const { return pid_ > 0; }

private:
    std::filesystem::path conf_;
    pid_t pid_ = -1;
};

} // namespace stillroom::bench
