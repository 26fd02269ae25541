// The therapist's button under hostile clients, on loopback: 500 slow sockets (headers
// trickled a byte a second, reconnecting when cut, from 20 addresses 127.0.0.10 to .29),
// 200 SSE clients of one curator (127.0.0.4, reconnecting a second after their stream ends
// or is refused, like EventSource), and 1000
// GET /state per second (127.0.0.5), while a therapist (127.0.0.1) taps Comfort. Prints
// the tap's round trip p50/p99/max against the goal (p99 <= 100 ms) and peak memory.
// Then the FLAC-bomb scenario (bench/hostile_bombs.hpp): 16 curators upload FLAC bombs (26 h
// of silence in ~1 MiB, made with sox) and files just under the 3 h limit, over and over,
// while the therapist taps; its own row and the same goal.
// The taps count only when the load really held (printed: slow sockets and streams open).
// Then the access scenarios (bench/hostile_access.hpp): 1024 trickling sockets from 4
// addresses, 2048 from 64, and a wrong-PIN flood from 88 addresses, each with its own taps.
// Bounded: about 70 s (at most 30 s more waiting for the load).
// usage: bench_hostile [seconds] [all|load|bombs|access|trickle|flood]: the second argument runs
// one scenario alone (e.g. `flood`: the wrong-PIN flood and the taps alone before it).
#include "app/room_services.hpp"

#include "../tests/integration/raw_http.hpp"
#include "bench_util.hpp"
#include "hostile_access.hpp"
#include "hostile_bombs.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <list>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <vector>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;
using WallClock = std::chrono::steady_clock; // benchmarks measure real time by design

namespace {

double pct(std::vector<double> v, double p) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// A non-blocking connection from `source_ip`: the slow-socket loop must never wait on a
// connect (a blocking one can take seconds when the accept queue is full, and then the
// other 499 sockets go quiet and the load is not what it claims).
int connect_nonblocking(const char* source_ip, int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    sockaddr_in src{};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, source_ip, &src.sin_addr);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
        (::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 &&
         errno != EINPROGRESS)) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool not_yet(int error) {
    return error == EAGAIN || error == EWOULDBLOCK || error == ENOTCONN || error == EINPROGRESS;
}

// Keeps `count` sockets open, spread over `addresses` addresses from 127.0.0.`first` on, each
// trickling one header byte a second and reconnecting when the server cuts it.
void slow_sockets(int port, int count, const std::atomic<bool>& stop, std::atomic<int>& open_now,
                  int first = 10, int addresses = 20) {
    struct S {
        int fd = -1;
        std::size_t sent = 0;
    };
    std::vector<S> socks(static_cast<std::size_t>(count));
    const std::string req =
        "GET /api/v1/state HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(4000, 'a');
    while (!stop) {
        for (std::size_t i = 0; i < socks.size() && !stop; ++i) {
            auto& s = socks[i];
            if (s.fd < 0) {
                const std::string from =
                    "127.0.0." + std::to_string(first + static_cast<int>(i) % addresses);
                s.fd = connect_nonblocking(from.c_str(), port);
                s.sent = 0;
                continue;
            }
            char buf[512];
            const auto r = ::recv(s.fd, buf, sizeof buf, 0);
            const bool cut = r >= 0 || !not_yet(errno); // closed, answered (408) or failed
            if (cut) {
                ::close(s.fd); // come back
                s.fd = -1;
                continue;
            }
            const auto n = ::send(s.fd, req.data() + (s.sent % req.size()), 1, MSG_NOSIGNAL);
            if (n == 1)
                ++s.sent;
            else if (n < 0 && !not_yet(errno)) {
                ::close(s.fd);
                s.fd = -1;
            }
        }
        open_now = static_cast<int>(
            std::count_if(socks.begin(), socks.end(), [](const S& x) { return x.fd >= 0; }));
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    }
    for (auto& s : socks)
        if (s.fd >= 0) ::close(s.fd);
}

// `count` event-stream clients reading all they get; a refused or ended one retries in 1 s.
void sse_clients(int port, int count, const std::string& token, const std::atomic<bool>& stop,
                 std::atomic<int>& streaming) {
    struct C {
        int fd = -1;
        WallClock::time_point retry{};
        bool counted = false;
    };
    std::vector<C> cs(static_cast<std::size_t>(count));
    const std::string req =
        "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
        "\r\n\r\n";
    std::vector<pollfd> fds;
    while (!stop) {
        const auto now = WallClock::now();
        for (auto& c : cs)
            if (c.fd < 0 && now >= c.retry) {
                c.fd = connect_from("127.0.0.4", port);
                if (c.fd >= 0) send_text(c.fd, req);
                c.counted = false;
            }
        fds.clear();
        for (auto& c : cs)
            fds.push_back({c.fd, POLLIN, 0});
        ::poll(fds.data(), fds.size(), 100);
        for (std::size_t i = 0; i < cs.size(); ++i) {
            auto& c = cs[i];
            if (c.fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[8192];
            const auto n = ::recv(c.fd, buf, sizeof buf, 0);
            if (n <= 0 || std::string_view(buf, static_cast<std::size_t>(n)).find(" 503 ") !=
                              std::string_view::npos) {
                ::close(c.fd);
                c.fd = -1;
                c.retry = WallClock::now() + std::chrono::seconds(1);
                if (c.counted) --streaming;
                c.counted = false;
            } else if (!c.counted) {
                c.counted = true;
                ++streaming;
            }
        }
    }
    for (auto& c : cs)
        if (c.fd >= 0) ::close(c.fd);
}

// The curator's event streams that stay open (StreamRegistry::kPerUser).
constexpr int kCuratorStreams = 3;

std::vector<bench::Scenario> access_scenarios(int port, const std::string& headers,
                                              const std::string& device, bool trickle, bool flood) {
    std::vector<bench::Scenario> out;
    if (trickle) {
        out.push_back(bench::trickle_scenario(port, headers, slow_sockets, 4, 256, 100));
        out.push_back(bench::trickle_scenario(port, headers, slow_sockets, 64, 32, 100));
    }
    if (flood) out.push_back(bench::login_flood_scenario(port, headers, device, 100));
    return out;
}

} // namespace

int main(int argc, char** argv) {
    const int seconds = argc > 1 ? std::clamp(std::atoi(argv[1]), 5, 300) : 20;
    const std::string only = argc > 2 ? argv[2] : "all";
    const std::vector<std::string> names{"all", "load", "bombs", "access", "trickle", "flood"};
    if (std::find(names.begin(), names.end(), only) == names.end()) {
        std::fprintf(stderr,
                     "usage: bench_hostile [seconds] [all|load|bombs|access|trickle|flood]\n");
        return 2;
    }
    auto want = [&](const char* name) {
        const std::string n = name;
        return only == "all" || only == n || (only == "access" && (n == "trickle" || n == "flood"));
    };
    rlimit files{}; // thousands of sockets, both ends in this one process
    if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    const int http_port = bench::free_loopback_port();
    const fs::path dir =
        fs::temp_directory_path() / ("stillroom-bench-hostile-" + std::to_string(getpid()));
    bench::write_file(
        dir / "lib/room.json",
        Json{{"room", "bench"},
             {"lights", Json::array({{{"id", "ceiling"}, {"dialect", "simulated"}}})},
             {"control",
              {{"listen", "127.0.0.1:" + std::to_string(http_port)},
               {"users",
                Json::array(
                    {{{"name", "t"}, {"role", "therapist"}, {"pin_hash", hash_pin("1357")}},
                     {{"name", "c"}, {"role", "curator"}, {"pin_hash", hash_pin("8642")}}})}}}}
            .dump());
    bench::write_file(dir / "lib/scenes/calm.json",
                      R"({"lights":{"*":{"on":true,"brightness":0.3,"kelvin":2700}}})");
    bench::write_file(dir / "lib/scenes/comfort.json",
                      R"({"lights":{"*":{"on":true,"brightness":0.2,"kelvin":2400}}})");
    bench::write_file(
        dir / "lib/sessions/s.json",
        R"({"name":"S","phases":[{"id":"one","duration":"8h","scene":"calm","volume_db":-20,"fade":"0s"}],
        "comfort":{"scene":"comfort","fade":"5s","volume_offset_db":-6}})");
    std::string bomb, long_ok; // made before the room starts: sox takes a while
    if (want("bombs") && !bench::make_bombs(dir / "bombs", &bomb, &long_ok)) {
        std::fprintf(stderr, "sox could not make the FLAC bombs\n");
        return 1;
    }
    Problems problems;
    Library lib = load_library(dir / "lib", problems);
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    RoomServicesOptions options;
    options.state_dir = dir / "state";
    options.audio = "null";
    options.log = nullptr;
    RoomServices services(std::move(lib), options, clock, device_clock);
    services.start();

    const std::string json = "Content-Type: application/json\r\n";
    RawReply login =
        raw_request("127.0.0.1", http_port, "POST", "/api/v1/login", json, R"({"pin":"1357"})");
    if (login.status != 200) {
        std::fprintf(stderr, "login failed: %d\n", login.status);
        return 1;
    }
    const std::string token = Json::parse(login.body)["token"].get<std::string>();
    std::string device = Json::parse(login.body).value("device", std::string());
    const std::string auth = "Authorization: Bearer " + token + "\r\n";
    // The event-stream load is a curator's (one user holds at most 3 streams; each new one
    // replaces their oldest), so it never takes the therapist's.
    RawReply curator =
        raw_request("127.0.0.1", http_port, "POST", "/api/v1/login", json, R"({"pin":"8642"})");
    const std::string curator_token =
        curator.status == 200 ? Json::parse(curator.body)["token"].get<std::string>() : token;
    raw_request("127.0.0.1", http_port, "POST", "/api/v1/session/start", auth + json,
                R"({"template":"s"})");

    std::atomic<int> slow_open{0};
    std::atomic<int> streaming{0};
    bool sampling = false;
    int slow_min = 1 << 30,
        streams_min = 1 << 30; // the fewest open at any tap: the load really held
    long slow_sum = 0, streams_sum = 0, samples = 0;
    auto taps = [&](int n) {
        std::vector<double> ms;
        int failed = 0;
        bool on = true;
        for (int i = 0; i < n; ++i) {
            const auto t0 = WallClock::now();
            RawReply r = raw_request("127.0.0.1", http_port, "POST", "/api/v1/session/comfort",
                                     auth + json, on ? R"({"on":true})" : R"({"on":false})", 5000);
            const double took =
                std::chrono::duration<double, std::milli>(WallClock::now() - t0).count();
            if (r.status == 200)
                ms.push_back(took);
            else
                ++failed;
            on = !on;
            if (sampling) {
                slow_min = std::min(slow_min, slow_open.load());
                streams_min = std::min(streams_min, streaming.load());
                slow_sum += slow_open.load();
                streams_sum += streaming.load();
                ++samples;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return std::pair{ms, failed};
    };
    const auto [alone, alone_failed] = taps(100);

    std::vector<double> hostile;
    int hostile_failed = 0;
    double load_s = 1, pile_s = 0;
    long gets_done = 0;
    int streams_now = 0;
    if (want("load")) {
        std::atomic<bool> stop{false};
        std::atomic<long> gets{0};
        std::list<std::thread> load; // a list: GCC 12 warns falsely on vector<thread> growth
        load.emplace_back([&] { slow_sockets(http_port, 500, stop, slow_open); });
        load.emplace_back([&] { sse_clients(http_port, 200, curator_token, stop, streaming); });
        for (int t = 0; t < 4; ++t)
            load.emplace_back([&] { // 4 x 250 GET /state per second
                auto next = WallClock::now();
                while (!stop) {
                    if (raw_request("127.0.0.5", http_port, "GET", "/api/v1/state", auth, "", 2000)
                            .status == 200)
                        ++gets;
                    next += std::chrono::milliseconds(4);
                    std::this_thread::sleep_until(next);
                }
            });
        // The load must really be there before the taps count: every slow socket open and the
        // event-stream cap reached (bounded: 30 s), then 3 s more for the sockets to pile up.
        const auto t_pile = WallClock::now();
        while ((slow_open.load() < 500 || streaming.load() < kCuratorStreams) &&
               WallClock::now() - t_pile < std::chrono::seconds(30))
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        pile_s = std::chrono::duration<double>(WallClock::now() - t_pile).count();
        std::this_thread::sleep_for(std::chrono::seconds(3));
        const auto t_load = WallClock::now();
        const long gets_before = gets.load();
        sampling = true;
        std::tie(hostile, hostile_failed) = taps(std::max(50, (seconds - 3) * 10));
        load_s = std::chrono::duration<double>(WallClock::now() - t_load).count();
        gets_done = gets.load() - gets_before;
        streams_now = streaming.load();
        stop = true;
        for (auto& t : load)
            t.join();
    }

    // The bombs: 16 curators uploading, the therapist tapping.
    std::vector<double> bombed;
    int bombed_failed = 0;
    double bombs_s = 0, settle_s = 0;
    bench::BombCounts bombs;
    if (want("bombs")) {
        RawReply curator_login =
            raw_request("127.0.0.1", http_port, "POST", "/api/v1/login", json, R"({"pin":"8642"})");
        const std::string curator_auth =
            "Authorization: Bearer " +
            Json::parse(curator_login.body, nullptr, false).value("token", "") + "\r\n";
        std::atomic<bool> stop_bombs{false};
        std::list<std::thread> bombers;
        for (int k = 0; k < 16; ++k)
            bombers.emplace_back([&, k] {
                bench::bomb_uploader(http_port, curator_auth, k, bomb, long_ok, stop_bombs, bombs);
            });
        const auto t_bombs = WallClock::now();
        while (bombs.refused.load() + bombs.accepted.load() < 16 &&
               WallClock::now() - t_bombs < std::chrono::seconds(30)) // bounded: the load is on
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::tie(bombed, bombed_failed) = taps(std::max(50, (seconds - 3) * 10));
        bombs_s = std::chrono::duration<double>(WallClock::now() - t_bombs).count();
        stop_bombs = true;
        for (auto& t : bombers)
            t.join();
        // The next scenarios start from a settled room: the accepted files' background checks
        // done and their bytes on disk, so their decoding and writeback (a journal fdatasync
        // waits behind it) is not counted against the next attack (bounded: 120 s).
        const auto t_settle = WallClock::now();
        for (bool pending = true;
             pending && WallClock::now() - t_settle < std::chrono::seconds(120);) {
            const RawReply listing = raw_request("127.0.0.1", http_port, "GET",
                                                 "/api/v1/audio/files", curator_auth, "", 5000);
            const Json list = Json::parse(listing.body, nullptr, false);
            pending = listing.status != 200;
            if (list.is_object() && list.contains("files") && list["files"].is_array())
                for (const auto& f : list["files"])
                    if (f.is_object() && f.value("check", Json()) == "pending") pending = true;
            if (pending) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        ::sync();
        settle_s = std::chrono::duration<double>(WallClock::now() - t_settle).count();
    }
    const std::vector<bench::Scenario> scenarios =
        access_scenarios(http_port, auth + json, device, want("trickle"), want("flood"));
    services.stop();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::error_code ec;
    fs::remove_all(dir, ec);

    const double p99 = pct(hostile, 0.99);
    std::printf("therapist's button (POST /session/comfort round trip, fresh connection), ms\n");
    std::printf("%-44s %8s %8s %8s %8s %7s\n", "", "p50", "p99", "max", "n", "failed");
    std::printf("%-44s %8.2f %8.2f %8.2f %8zu %7d\n", "alone", pct(alone, 0.5), pct(alone, 0.99),
                pct(alone, 1.0), alone.size(), alone_failed);
    bool ok = true;
    if (want("load")) {
        std::printf("%-44s %8.2f %8.2f %8.2f %8zu %7d\n", "500 slow + 200 SSE + GET /state load",
                    pct(hostile, 0.5), p99, pct(hostile, 1.0), hostile.size(), hostile_failed);
        std::printf("load achieved: %.0f GET /state per second, %d event streams open (the "
                    "curator's 3; each new one ends their oldest)\n",
                    static_cast<double>(gets_done) / load_s, streams_now);
        std::printf("load up after %.1f s; during the taps %d..%.0f (min..mean) of 500 slow "
                    "sockets and %d..%.0f event streams were open\n",
                    pile_s, slow_min,
                    samples ? static_cast<double>(slow_sum) / static_cast<double>(samples) : 0.0,
                    streams_min,
                    samples ? static_cast<double>(streams_sum) / static_cast<double>(samples)
                            : 0.0);
        // Not an idle server by accident: the GET load at 90% of its rate or more, the
        // curator's event streams all open at every tap, and on average at least 200 of the
        // 500 slow sockets open. Not more: each of the 1000 GETs a second comes on a new
        // connection, a stranger until its request is read, and when the 512 stranger slots
        // are full the guard closes the stranger idle longest, a slow socket (docs/security.md
        // "Connections"), which reconnects a second later; the server also cuts each after
        // its 10 s request deadline. So 200-470 of them are open at the attack's full force.
        const double get_rate = static_cast<double>(gets_done) / load_s;
        const bool load_held = samples > 0 && slow_sum >= 200 * samples &&
                               streams_min >= kCuratorStreams && get_rate >= 900;
        if (!load_held)
            std::printf("the load did not hold during the taps: the result does not count\n");
        ok = load_held && p99 >= 0 && p99 <= 100.0 && hostile_failed == 0;
    }
    if (want("bombs")) {
        std::printf("%-44s %8.2f %8.2f %8.2f %8zu %7d\n", "16 curators uploading FLAC bombs",
                    pct(bombed, 0.5), pct(bombed, 0.99), pct(bombed, 1.0), bombed.size(),
                    bombed_failed);
        std::printf("bomb load: %ld bombs refused (422), %ld files under 3 h accepted and decoded "
                    "in the background, %ld uploads throttled (429: the room's save rate), %ld "
                    "other answers, in %.1f s (bomb %.2f MiB of FLAC, 26 h)\n",
                    bombs.refused.load(), bombs.accepted.load(), bombs.throttled.load(),
                    bombs.other.load(), bombs_s, static_cast<double>(bomb.size()) / 1048576.0);
        std::printf("after the bombs: the room settled (background checks done, disk synced) "
                    "in %.1f s before the next scenario\n",
                    settle_s);
        const double bombed_p99 = pct(bombed, 0.99);
        const bool bombs_held = bombs.refused.load() + bombs.accepted.load() >= 16;
        if (!bombs_held) std::printf("the bomb load did not hold: its row does not count\n");
        ok = ok && bombs_held && bombed_p99 >= 0 && bombed_p99 <= 100.0 && bombed_failed == 0;
    }
    std::printf("peak memory (bench and room together): %.1f MiB\n",
                static_cast<double>(ru.ru_maxrss) / 1024.0);
    if (want("load") || want("bombs"))
        std::printf("goal: p99 <= 100 ms with no failed tap: %s\n", ok ? "MET" : "MISSED");
    if (!scenarios.empty()) ok = bench::print_scenarios(scenarios) && ok;
    return ok ? 0 : 2;
}
