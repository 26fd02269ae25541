// Starting and stopping a test JACK server.
#include "jack_server.hpp"
#include "helpers.hpp"

#include <jack/jack.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

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

struct JackServerProcess {
    pid_t pid;
    std::string cmdline; // arguments separated by spaces, with a trailing space
};

// Every JACK server process on the machine (ours or anybody's).
std::vector<JackServerProcess> jack_servers() {
    std::vector<JackServerProcess> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string comm = read_text(entry.path() / "comm");
        if (comm != "jackd\n" && comm != "jackdbus\n") continue;
        std::string cmdline = read_text(entry.path() / "cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        found.push_back({static_cast<pid_t>(std::stol(entry.path().filename().string())), cmdline});
    }
    return found;
}

// A jackd left running under this test server's name by a test run that was killed (its
// parent gone, so nobody stopped it): stopped, so this run can start its own.
bool stop_orphan_server(const std::string& name) {
    bool found = false;
    for (const auto& server : jack_servers()) {
        if (server.cmdline.find(" -n " + name + " ") == std::string::npos) continue;
        ::kill(server.pid, SIGTERM);
        if (!eventually([&] { return ::kill(server.pid, 0) != 0; }, 50))
            ::kill(server.pid, SIGKILL);
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

void use_jack_server(const std::string& name) {
    setenv("JACK_DEFAULT_SERVER", name.c_str(), 1);
}

JackServer::JackServer(std::string name, int rate, int period)
    : name_(std::move(name)), rate_(rate), period_(period),
      log_((fs::temp_directory_path() / ("stillroom-jackd-" + name_ + ".log")).string()) {}

JackServer::~JackServer() {
    // A clean stop unregisters the server; allow for slow (sanitized) clients.
    jackd_.stop(std::chrono::seconds(15));
    std::error_code ec;
    fs::remove(log_, ec);
}

bool JackServer::start() {
    if (stop_orphan_server(name_))
        std::fprintf(stderr, "test: stopped a jackd -n %s left running by an earlier test run\n",
                     name_.c_str());
    if (spawn_and_wait()) return true;
    if (error_.find("Too many servers already active") != std::string::npos &&
        jack_servers().empty()) {
        std::fprintf(
            stderr,
            "test: JACK's server registry is full of servers that were killed and no JACK server "
            "runs; clearing JACK's stale state in /dev/shm and retrying\n");
        clear_stale_jack_shm();
        return spawn_and_wait();
    }
    return false;
}

bool JackServer::spawn_and_wait() {
    error_.clear();
    std::error_code ec;
    fs::remove(log_, ec);
    if (!jackd_.start({"jackd", "-n", name_, "--no-realtime", "-d", "dummy", "-r",
                       std::to_string(rate_), "-p", std::to_string(period_)},
                      log_, true)) {
        error_ = "cannot run jackd";
        return false;
    }
    // Bounded wait until our server accepts a client, or jackd gives up.
    QuietJack quiet;
    bool answered = false;
    eventually(
        [&] {
            if (jackd_.exited()) return true;
            jack_status_t status;
            jack_client_t* c = jack_client_open(
                "probe-start", static_cast<jack_options_t>(JackNoStartServer | JackServerName),
                &status, name_.c_str());
            if (!c) return false;
            jack_client_close(c);
            // The server that answered must be ours, not one that was already there.
            answered = !jackd_.exited();
            return true;
        },
        100);
    if (answered) return true;
    error_ = "jackd -n " + name_ +
             (jackd_.exited() ? " exited: " : " did not answer within 10 s: ") + read_text(log_);
    jackd_.kill_hard();
    return false;
}

std::string jack_test_server_name(const std::string& base) {
    const char* suffix = std::getenv("STILLROOM_TEST_JACK_SUFFIX");
    return suffix && *suffix ? base + "-" + suffix : base;
}

} // namespace stillroom::test
