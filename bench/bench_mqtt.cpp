// MQTT latency and idle cost (issue 24). Prints:
//  1. the command round trip between two MqttClients through mosquitto (a QoS 1 command,
//     a QoS 1 reply), with TCP_NODELAY off (Nagle: the reply waits for the broker's delayed
//     ACK) and on;
//  2. for each `stillroom` executable given (default: this build's), a real idle room
//     (`stillroom run --audio off --listen off`, two Zigbee2MQTT lights, no session): the
//     round trip of `cmd/volume` to its `result`, and how often its threads wake (context
//     switches per second, summed over /proc/PID/task/*/status, measured for 10 s), and the
//     same round trip while a stranger (127.0.0.2) floods the overview's topics as fast as
//     the broker takes them: overview announcements (`stillroom-clinic/evil/status`
//     online: each asks every room for its status and state) and 100 KB made-up room states.
// usage: bench_mqtt [STILLROOM_EXE ...]   (e.g. an executable built from main, then this one)
#include "devices/mqtt_client.hpp"
#include "engine/json_reader.hpp"

#include "bench_util.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <mutex>
#include <thread>
#include <vector>

using namespace stillroom;
namespace fs = std::filesystem;
using WallClock = std::chrono::steady_clock; // benchmarks measure real time by design

namespace {

// Waits for one reply at a time.
struct Replies {
    std::mutex m;
    std::condition_variable cv;
    int n = 0;
    void got() {
        {
            std::lock_guard lock(m);
            ++n;
        }
        cv.notify_all();
    }
    bool wait_for(int count) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, std::chrono::seconds(5), [&] { return n >= count; });
    }
};

struct Stats {
    double p50 = 0, p99 = 0, max = 0;
    int lost = 0;
};

Stats stats(std::vector<double> ms, int lost) {
    Stats s;
    s.lost = lost;
    if (ms.empty()) return s;
    std::sort(ms.begin(), ms.end());
    s.p50 = ms[ms.size() / 2];
    s.p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
    s.max = ms.back();
    return s;
}

// `n` commands on `cmd_topic`, each timed until its reply on `reply_topic`.
Stats round_trips(int port, const std::string& cmd_topic, const std::string& reply_topic,
                  const std::string& payload, int n, bool nodelay) {
    SteadyDeviceClock clock;
    MqttOptions o;
    o.port = port;
    o.client_id = "bench-sender";
    o.tcp_nodelay = nodelay;
    MqttClient sender(o, clock);
    Replies replies;
    sender.subscribe(reply_topic);
    sender.on_message([&](const std::string&, const std::string&) { replies.got(); });
    std::string error;
    sender.start(&error);
    for (int i = 0; i < 100 && !sender.connected(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // the subscription settles
    std::vector<double> ms;
    int lost = 0;
    for (int i = 0; i < n; ++i) {
        const int before = replies.n;
        const auto t = WallClock::now();
        sender.publish(cmd_topic, payload, 1, false);
        if (!replies.wait_for(before + 1)) {
            ++lost;
            continue;
        }
        ms.push_back(std::chrono::duration<double, std::milli>(WallClock::now() - t).count());
        std::this_thread::sleep_for(std::chrono::milliseconds(5)); // a person's pace, not a flood
    }
    sender.stop();
    return stats(ms, lost);
}

Stats echo_round_trips(int port, bool nodelay) {
    SteadyDeviceClock clock;
    MqttOptions o;
    o.port = port;
    o.client_id = "bench-echo";
    o.tcp_nodelay = nodelay;
    MqttClient echo(o, clock);
    echo.subscribe("bench/cmd");
    echo.on_message([&](const std::string&, const std::string& p) {
        echo.publish("bench/result", p, 1, false); // what the room's bridge does
    });
    std::string error;
    echo.start(&error);
    for (int i = 0; i < 100 && !echo.connected(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const Stats s =
        round_trips(port, "bench/cmd", "bench/result", R"({"step_db":-1})", 200, nodelay);
    echo.stop();
    return s;
}

// Voluntary + involuntary context switches of every thread of `pid`.
long context_switches(pid_t pid) {
    long total = 0;
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = opendir(dir.c_str());
    if (!d) return -1;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::ifstream in(dir + "/" + e->d_name + "/status");
        std::string key;
        long v;
        while (in >> key) {
            if (key == "voluntary_ctxt_switches:" || key == "nonvoluntary_ctxt_switches:") {
                in >> v;
                total += v;
            }
        }
    }
    closedir(d);
    return total;
}

void make_library(const fs::path& lib, int port) {
    bench::write_file(lib / "room.json",
                      Json{{"room", "bench"},
                           {"mqtt",
                            {{"url", "mqtt://127.0.0.1:" + std::to_string(port)},
                             {"base_topic", "stillroom/bench"}}},
                           {"lights", Json::array({{{"id", "ceiling"},
                                                    {"dialect", "zigbee2mqtt"},
                                                    {"topic", "zigbee2mqtt/bench/ceiling"},
                                                    {"kelvin", Json::array({2200, 6500})}},
                                                   {{"id", "lamp"},
                                                    {"dialect", "zigbee2mqtt"},
                                                    {"topic", "zigbee2mqtt/bench/lamp"},
                                                    {"kelvin", Json::array({2200, 6500})}}})}}
                          .dump());
    bench::write_file(lib / "scenes/dim.json",
                      R"({"lights":{"*":{"on":true,"brightness":0.05,"kelvin":2200}}})");
    bench::write_file(lib / "sessions/s.json", R"({"name":"S","phases":[
      {"id":"a","until":"therapist","duration":"20m","scene":"dim","fade":"10s"}]})");
}

// A stranger's flood on the overview's topics, on its own thread while it lives.
struct Flood {
    explicit Flood(int port) {
        MqttOptions o;
        o.port = port;
        o.client_id = "bench-stranger";
        o.bind_address = "127.0.0.2";
        client = std::make_unique<MqttClient>(o, clock);
        std::string error;
        client->start(&error);
        thread = std::thread([this] {
            const std::string state =
                Json{{"room", {{"id", "junk"}}}, {"pad", std::string(100 * 1024, 'x')}}.dump();
            for (std::size_t i = 0; !stop.load(); ++i) {
                while (!stop.load() &&
                       (!client->connected() || client->published() > client->acknowledged() + 64))
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                if (i % 4 == 0)
                    client->publish("stillroom-clinic/evil/status", "online", 1, false);
                else
                    client->publish("stillroom/junk-" + std::to_string(i % 300) + "/state", state,
                                    1, false);
                ++sent;
            }
        });
    }
    ~Flood() {
        stop = true;
        thread.join();
        client->stop();
    }
    SteadyDeviceClock clock;
    std::unique_ptr<MqttClient> client;
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> sent{0};
    std::thread thread;
};

struct RoomNumbers {
    Stats rtt, flooded;
    double wakeups_per_s = 0;
    double flood_per_s = 0;
};

RoomNumbers measure_room(const std::string& exe, int port, const fs::path& work) {
    const fs::path lib = work / "lib";
    fs::remove_all(work);
    make_library(lib, port);
    pid_t pid = -1;
    std::vector<std::string> args = {
        exe,        "run", "--library", lib.string(), "--state-dir", (work / "state").string(),
        "--listen", "off", "--audio",   "off"};
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    RoomNumbers out;
    std::this_thread::sleep_for(std::chrono::seconds(3)); // connected, announced, at rest
    const long c0 = context_switches(pid);
    const auto t0 = WallClock::now();
    std::this_thread::sleep_for(std::chrono::seconds(10));
    const long c1 = context_switches(pid);
    out.wakeups_per_s =
        static_cast<double>(c1 - c0) / std::chrono::duration<double>(WallClock::now() - t0).count();
    out.rtt = round_trips(port, "stillroom/bench/cmd/volume", "stillroom/bench/result",
                          R"({"step_db":-1})", 100, true);
    {
        Flood flood(port);
        std::this_thread::sleep_for(std::chrono::seconds(2)); // in full flow
        const auto f0 = WallClock::now();
        const std::uint64_t s0 = flood.sent.load();
        out.flooded = round_trips(port, "stillroom/bench/cmd/volume", "stillroom/bench/result",
                                  R"({"step_db":-1})", 100, true);
        out.flood_per_s = static_cast<double>(flood.sent.load() - s0) /
                          std::chrono::duration<double>(WallClock::now() - f0).count();
    }
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    return out;
}

} // namespace

int main(int argc, char** argv) {
    // The broker as `stillroom broker-config` sets it up: TCP_NODELAY on its side too.
    const int port = bench::free_loopback_port();
    bench::Broker broker(port, "set_tcp_nodelay true\n");
    if (!broker.ok()) {
        std::fprintf(stderr, "bench_mqtt: mosquitto did not start\n");
        return 1;
    }
    std::printf("## Command round trip through mosquitto (200 QoS 1 commands, QoS 1 replies)\n");
    std::printf("| TCP_NODELAY | p50 ms | p99 ms | max ms | lost |\n|---|---|---|---|---|\n");
    Stats off = echo_round_trips(port, false), on = echo_round_trips(port, true);
    std::printf("| off (before) | %.2f | %.2f | %.2f | %d |\n", off.p50, off.p99, off.max,
                off.lost);
    std::printf("| on | %.2f | %.2f | %.2f | %d |\n", on.p50, on.p99, on.max, on.lost);
    std::printf("p50 ratio on/off: %.3f (goal: a reply never waits for a delayed ACK, <= 0.1)\n\n",
                off.p50 > 0 ? on.p50 / off.p50 : 0.0);

    std::vector<std::string> exes;
    for (int i = 1; i < argc; ++i)
        exes.emplace_back(argv[i]);
    if (exes.empty()) exes.emplace_back(STILLROOM_EXE);
    std::printf("## An idle room (stillroom run, 2 Zigbee2MQTT lights, no session, audio off)\n");
    std::printf(
        "| executable | cmd/volume -> result p50 / p99 ms | the same under a flood p50 / p99 "
        "/ max ms | flood messages/s | wakeups per second |\n"
        "|---|---|---|---|---|\n");
    const fs::path work =
        fs::temp_directory_path() / ("stillroom-bench-mqtt-" + std::to_string(getpid()));
    for (const auto& exe : exes) {
        const RoomNumbers r = measure_room(exe, port, work);
        std::printf("| %s | %.2f / %.2f (lost %d) | %.2f / %.2f / %.2f (lost %d) | %.0f | %.1f |\n",
                    exe.c_str(), r.rtt.p50, r.rtt.p99, r.rtt.lost, r.flooded.p50, r.flooded.p99,
                    r.flooded.max, r.flooded.lost, r.flood_per_s, r.wakeups_per_s);
    }
    std::error_code ec;
    fs::remove_all(work, ec);
    std::printf("goal: an idle room wakes <= 2 times a second; a command's reply in <= 5 ms; "
                "under a flood of the overview's topics, within 1 s (max)\n");
    return 0;
}
