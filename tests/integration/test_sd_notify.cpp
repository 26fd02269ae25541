// The sd_notify protocol as systemd sees it: a unix datagram socket in the test plays
// systemd's part (NOTIFY_SOCKET). The real binary says READY=1 once the tablet port accepts
// connections, STATUS= lines, WATCHDOG=1 at half of WATCHDOG_USEC and STOPPING=1 on SIGTERM.
// A hung engine stops the pings: the test hangs the engine thread with no hook in the
// product: a state listener blocks while a command holds the room lock, so the engine
// thread's next tick waits on that lock, exactly as it would behind any stuck lock holder.
#include "../unit/temp_dir.hpp"
#include "app/systemd_notify.hpp"
#include "helpers.hpp"
#include "process.hpp"
#include "services.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

// systemd's end of NOTIFY_SOCKET: a bound unix datagram socket.
class FakeSystemd {
public:
    explicit FakeSystemd(const fs::path& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path.string().copy(addr.sun_path, sizeof addr.sun_path - 1);
        bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~FakeSystemd() {
        if (fd_ >= 0) ::close(fd_);
    }
    FakeSystemd(const FakeSystemd&) = delete;
    FakeSystemd& operator=(const FakeSystemd&) = delete;
    bool bound() const { return bound_; }
    const fs::path& path() const { return path_; }
    // The next message, if one arrives within `ms`.
    std::optional<std::string> next(int ms) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, ms) <= 0) return std::nullopt;
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }
    // Reads messages (each within `ms`) until one contains `what`; every one read is kept.
    std::optional<std::string> until(const std::string& what, int ms, int max_messages = 1000) {
        for (int i = 0; i < max_messages; ++i) {
            auto m = next(ms);
            if (!m) return std::nullopt;
            seen.push_back(*m);
            if (m->find(what) != std::string::npos) return m;
        }
        return std::nullopt;
    }
    std::vector<std::string> seen;

private:
    fs::path path_;
    int fd_ = -1;
    bool bound_ = false;
};

// The environment systemd gives a Type=notify service with WatchdogSec=, for one scope.
struct SystemdEnvironment {
    SystemdEnvironment(const fs::path& socket, long watchdog_usec) {
        ::setenv("NOTIFY_SOCKET", socket.c_str(), 1);
        ::setenv("WATCHDOG_USEC", std::to_string(watchdog_usec).c_str(), 1);
    }
    ~SystemdEnvironment() {
        ::unsetenv("NOTIFY_SOCKET");
        ::unsetenv("WATCHDOG_USEC");
    }
    SystemdEnvironment(const SystemdEnvironment&) = delete;
    SystemdEnvironment& operator=(const SystemdEnvironment&) = delete;
};

void write_room(const fs::path& lib, int http_port) {
    write_text(lib / "room.json",
               Json{{"room", "notify"},
                    {"control",
                     {{"listen", "127.0.0.1:" + std::to_string(http_port)},
                      {"users", Json::array({{{"name", "t"},
                                              {"role", "therapist"},
                                              {"pin_hash", hash_pin("1357")}}})}}}}
                   .dump());
    write_text(lib / "sessions/s.json", R"({"name":"S","phases":[{"id":"one","duration":"1h"}]})");
}

bool port_accepts(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

} // namespace

TEST_CASE("sd_notify: stillroom run says READY once it serves, STATUS, WATCHDOG at half the "
          "interval, STOPPING on SIGTERM") {
    TempDir dir;
    const int http_port = free_loopback_port();
    write_room(dir.path / "lib", http_port);
    FakeSystemd systemd(dir.path / "notify.sock");
    REQUIRE(systemd.bound());
    Process room;
    {
        SystemdEnvironment env(systemd.path(), 400'000); // pings every 200 ms
        REQUIRE(room.start({STILLROOM_EXE, "run", "--library", (dir.path / "lib").string(),
                            "--state-dir", (dir.path / "state").string(), "--audio", "off"},
                           (dir.path / "room.log").string(), true));
    }
    auto ready = systemd.until("READY=1", 20000);
    REQUIRE_MESSAGE(ready, read_text(dir.path / "room.log"));
    // Serving when it says so: the tablet port already accepts connections.
    CHECK(port_accepts(http_port));
    CHECK(ready->find("STATUS=room notify serving the tablet on port " +
                      std::to_string(http_port)) != std::string::npos);
    // A status line came before READY (starting).
    REQUIRE_FALSE(systemd.seen.empty());
    CHECK(systemd.seen.front().find("STATUS=starting room notify") != std::string::npos);
    // The engine's pings: five in a row, each within the 400 ms watchdog (bounded waits).
    for (int i = 0; i < 5; ++i) {
        CAPTURE(i);
        auto ping = systemd.next(2000);
        REQUIRE(ping);
        CHECK(*ping == "WATCHDOG=1");
    }
    ::kill(room.pid(), SIGTERM);
    CHECK(systemd.until("STOPPING=1", 10000));
    room.stop();
}

TEST_CASE("sd_notify: a hung engine thread stops the watchdog pings; they come back when it "
          "runs again") {
    TempDir dir;
    write_room(dir.path / "lib", free_loopback_port());
    FakeSystemd systemd(dir.path / "notify.sock");
    REQUIRE(systemd.bound());
    SteadyDeviceClock device_clock;
    SteadyClock clock;
    // libsystemd's sd_notify reads NOTIFY_SOCKET at every call: set for the whole test.
    SystemdEnvironment env(systemd.path(), 300'000);
    std::optional<SystemdNotifier> notifier;
    notifier.emplace(device_clock);
    REQUIRE(notifier->active());
    REQUIRE(notifier->ping_every() == Ms{150});
    RoomServicesOptions options = test_room_options(dir.path / "state", "off");
    options.engine_turn = [&] { notifier->engine_turn(); };
    options.engine_turn_every = *notifier->ping_every();
    Problems problems;
    RoomServices services(load_library(dir.path / "lib", problems), options, clock, device_clock);

    // The hang: a listener that blocks (under the room lock) until released.
    std::mutex m;
    std::condition_variable cv;
    bool hang = false, inside = false, release = false;
    services.room().on_change([&](const Json&) {
        std::unique_lock lock(m);
        if (!hang) return;
        inside = true;
        cv.notify_all();
        cv.wait_for(lock, std::chrono::seconds(60), [&] { return release; });
    });
    services.start();
    for (int i = 0; i < 3; ++i) {
        auto ping = systemd.next(3000);
        REQUIRE(ping);
        CHECK(*ping == "WATCHDOG=1");
    }
    {
        std::lock_guard lock(m);
        hang = true;
    }
    std::thread commander([&] { services.room().start({"s", ""}); }); // holds the room lock
    {
        std::unique_lock lock(m);
        REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return inside; }));
    }
    // A ping from a turn already past the lock may still arrive; then silence: no ping for
    // 1.5 s, five times the 300 ms systemd would wait before restarting the room.
    while (systemd.next(400)) {
    }
    const long pings_when_hung = notifier->pings();
    CHECK_FALSE(systemd.next(1500));
    CHECK(notifier->pings() == pings_when_hung);
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    commander.join();
    // The engine runs again, and so do the pings.
    auto again = systemd.next(3000);
    REQUIRE(again);
    CHECK(*again == "WATCHDOG=1");
    CHECK(systemd.next(3000));
    services.stop();
}

TEST_CASE("sd_notify: without NOTIFY_SOCKET nothing is sent and there is no watchdog") {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    SteadyDeviceClock device_clock;
    SystemdNotifier n(device_clock);
    CHECK_FALSE(n.active());
    CHECK_FALSE(n.ping_every());
    n.engine_turn();
    CHECK(n.pings() == 0);
    CHECK(one_status_line("a\nb\tc") == "a b c");
}
