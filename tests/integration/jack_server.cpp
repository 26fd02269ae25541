// Starting and stopping a test JACK server.
#include "jack_server.hpp"

#include <jack/jack.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <spawn.h>
#include <sys/stat.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace stillroom::test {
namespace fs = std::filesystem;

namespace {

// libjack reports every refused connection on stderr (five lines each); while a test waits
// for its server those are expected and would bury the test's own output.
std::atomic<bool> g_quiet{false};

void jack_error_filter(const char* message) {
    if (!g_quiet.load()) std::fprintf(stderr, "jack: %s\n", message);
}

struct QuietJack {
    QuietJack() {
        jack_set_error_function(&jack_error_filter);
        g_quiet = true;
    }
    ~QuietJack() { g_quiet = false; }
};

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Any JACK server process on the machine (ours or anybody's)?
bool jack_server_running() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string comm = read_file(entry.path().string() + "/comm");
        if (comm == "jackd\n" || comm == "jackdbus\n") return true;
    }
    return false;
}

// A jackd left running under this test server's name by a test run that was killed (its
// parent gone, so nobody stopped it): stopped, so this run can start its own.
bool stop_orphan_server(const std::string& name) {
    bool found = false;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        if (read_file(entry.path().string() + "/comm") != "jackd\n") continue;
        std::string cmdline = read_file(entry.path().string() + "/cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        if (cmdline.find(" -n " + name + " ") == std::string::npos) continue;
        const pid_t pid = static_cast<pid_t>(std::stol(entry.path().filename().string()));
        ::kill(pid, SIGTERM);
        for (int i = 0; i < 50 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (::kill(pid, 0) == 0) ::kill(pid, SIGKILL);
        found = true;
    }
    return found;
}

// JACK's shared-memory state of this user (registry, segments, semaphores, sockets). Only
// called when no JACK server runs, when all of it is left over from killed servers.
void clear_stale_jack_shm() {
    std::error_code ec;
    const uid_t uid = ::getuid();
    for (const auto& entry : fs::directory_iterator("/dev/shm", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("jack", 0) != 0) continue;
        struct stat st {};
        if (::lstat(entry.path().c_str(), &st) != 0 || st.st_uid != uid) continue;
        fs::remove_all(entry.path(), ec);
    }
}

} // namespace

void use_jack_server(const std::string& name) { setenv("JACK_DEFAULT_SERVER", name.c_str(), 1); }

JackServer::JackServer(std::string name, int rate, int period)
    : name_(std::move(name)), rate_(rate), period_(period),
      log_((fs::temp_directory_path() / ("stillroom-jackd-" + name_ + ".log")).string()) {}

JackServer::~JackServer() {
    if (pid_ > 0) {
        // A clean stop unregisters the server; allow for slow (sanitized) clients.
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 150; ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        kill_hard();
    }
    std::error_code ec;
    fs::remove(log_, ec);
}

bool JackServer::start() {
    if (stop_orphan_server(name_))
        std::fprintf(stderr, "test: stopped a jackd -n %s left running by an earlier test run\n", name_.c_str());
    if (spawn_and_wait()) return true;
    if (error_.find("Too many servers already active") != std::string::npos && !jack_server_running()) {
        std::fprintf(stderr, "test: JACK's server registry is full of servers that were killed and no JACK server "
                             "runs; clearing JACK's stale state in /dev/shm and retrying\n");
        clear_stale_jack_shm();
        return spawn_and_wait();
    }
    return false;
}

bool JackServer::spawn_and_wait() {
    error_.clear();
    const std::string rate = std::to_string(rate_), period = std::to_string(period_);
    std::vector<std::string> args = {"jackd", "-n", name_, "--no-realtime", "-d", "dummy", "-r", rate, "-p", period};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawnp(&pid_, "jackd", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        pid_ = -1;
        error_ = "cannot run jackd: " + std::string(std::strerror(rc));
        return false;
    }
    // Bounded wait for the server to accept a client, or for jackd to give up.
    QuietJack quiet;
    for (int i = 0; i < 100; ++i) {
        jack_status_t status;
        jack_client_t* c = jack_client_open("probe-start", static_cast<jack_options_t>(JackNoStartServer | JackServerName),
                                            &status, name_.c_str());
        if (c) {
            jack_client_close(c);
            // The server that answered must be ours, not one that was already there.
            if (waitpid(pid_, nullptr, WNOHANG) != pid_) return true;
            pid_ = -1;
            error_ = "jackd -n " + name_ + " exited: " + read_file(log_);
            return false;
        }
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
            pid_ = -1;
            error_ = "jackd -n " + name_ + " exited: " + read_file(log_);
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    error_ = "jackd -n " + name_ + " did not answer within 10 s: " + read_file(log_);
    kill_hard();
    return false;
}

void JackServer::kill_hard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

} // namespace stillroom::test
