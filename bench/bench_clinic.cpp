// The clinic at scale: N rooms (`stillroom run`, audio to the silent sink, two Zigbee2MQTT
// lights each) and the clinic overview on one mosquitto on this machine. Prints, for each
// N (default 10 and 50): state change -> overview latency p50/p99 (a Comfort command sent to
// a room over MQTT until the overview shows it), CPU and private memory per idle and per
// playing room, and light messages per room per second during fades against Zigbee's
// budget (about 8 broadcasts per 9 s per network; a room's lights are unicasts, so this is
// a ceiling, not a share). usage: bench_clinic [N ...]
#include "clinic/clinic_service.hpp"
#include "control/auth.hpp"

#include "bench_util.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

using namespace stillroom;
namespace fs = std::filesystem;
using WallClock = std::chrono::steady_clock; // benchmarks measure real time by design

namespace {

// A room library: two Zigbee2MQTT lights with native transitions, a quiet looping tone and a
// template whose first phase fades the lights for 20 minutes while the music plays.
void make_room(const fs::path& lib, const std::string& id, int port) {
    bench::write_file(lib / "room.json",
                      Json{{"room", id},
                           {"audio", {{"device", "default"}}},
                           {"mqtt", {{"url", "mqtt://127.0.0.1:" + std::to_string(port)}}},
                           {"lights", Json::array({{{"id", "ceiling"},
                                                    {"dialect", "zigbee2mqtt"},
                                                    {"topic", "zigbee2mqtt/" + id + "/ceiling"},
                                                    {"kelvin", Json::array({2200, 6500})}},
                                                   {{"id", "lamp"},
                                                    {"dialect", "zigbee2mqtt"},
                                                    {"topic", "zigbee2mqtt/" + id + "/lamp"},
                                                    {"kelvin", Json::array({2200, 6500})}}})}}
                          .dump());
    bench::write_file(lib / "scenes/dim.json",
                      R"({"lights":{"*":{"on":true,"brightness":0.05,"kelvin":2200}}})");
    bench::write_file(lib / "scenes/bright.json",
                      R"({"lights":{"*":{"on":true,"brightness":0.8,"kelvin":4000}}})");
    bench::write_file(
        lib / "playlists/music.json",
        R"({"loop":true,"crossfade":"5s","tracks":[{"file":"audio/tone.wav"},{"file":"audio/tone.wav"}]})");
    fs::create_directories(lib / "audio");
    fs::copy_file(fs::temp_directory_path() / "stillroom-bench-tone.wav", lib / "audio/tone.wav",
                  fs::copy_options::overwrite_existing);
    bench::write_file(lib / "sessions/s.json", R"({"name":"Fade","phases":[
      {"id":"a","until":"therapist","duration":"20m","scene":"dim","fade":"20m","playlist":"music","volume_db":-20}]})");
}

struct Child {
    pid_t pid = -1;
    explicit Child(std::vector<std::string> args) {
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid = -1;
        posix_spawn_file_actions_destroy(&fa);
    }
    ~Child() {
        if (pid > 0) {
            kill(pid, SIGTERM);
            waitpid(pid, nullptr, 0);
        }
    }
};

// A process and its children still running (the audio sink).
std::vector<pid_t> with_children(pid_t pid) {
    std::vector<pid_t> pids = {pid};
    std::ifstream children("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                           "/children");
    for (pid_t c; children >> c;)
        pids.push_back(c);
    return pids;
}

// utime + stime of a process and its children, in seconds.
double cpu_seconds(pid_t pid) {
    double total = 0;
    for (pid_t p : with_children(pid)) {
        std::ifstream in("/proc/" + std::to_string(p) + "/stat");
        std::string s((std::istreambuf_iterator<char>(in)), {});
        const auto close = s.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(s.substr(close + 2));
        std::string f;
        std::vector<std::string> fields;
        while (rest >> f)
            fields.push_back(f);
        if (fields.size() > 12)
            total += (std::stod(fields[11]) + std::stod(fields[12])) /
                     static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    return total;
}

// Private memory (Private_Clean + Private_Dirty) of a process and its children, in MB.
double private_mb(pid_t pid) {
    double kb = 0;
    for (pid_t p : with_children(pid)) {
        std::ifstream in("/proc/" + std::to_string(p) + "/smaps_rollup");
        std::string key;
        double v;
        std::string unit;
        while (in >> key) {
            if (key == "Private_Clean:" || key == "Private_Dirty:") {
                in >> v >> unit;
                kb += v;
            }
        }
    }
    return kb / 1024.0;
}

double pct(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

void row(const char* what, double value, const char* unit, double goal, bool below) {
    std::printf("| %-44s | %10.2f %-5s | %s %8.2f | %6.2f |\n", what, value, unit,
                below ? "<=" : ">=", goal, goal != 0 ? value / goal : 0.0);
}

void run(int n, const std::string& exe) {
    const int port = bench::free_loopback_port();
    bench::Broker broker(port);
    if (!broker.ok()) {
        std::printf("mosquitto did not start\n");
        return;
    }
    const fs::path dir =
        fs::temp_directory_path() / ("stillroom-bench-clinic-" + std::to_string(getpid()));
    fs::remove_all(dir);
    const int playing = n / 2; // half the rooms in session, half idle
    std::vector<std::unique_ptr<Child>> rooms;
    for (int i = 0; i < n; ++i) {
        const std::string id = "room-" + std::to_string(i);
        make_room(dir / id, id, port);
        std::vector<std::string> args = {exe,           "run",
                                         "--library",   (dir / id).string(),
                                         "--state-dir", (dir / id / "state").string(),
                                         "--audio",     "null",
                                         "--listen",    "off"};
        if (i < playing) {
            args.push_back("--start");
            args.push_back("s");
        }
        rooms.push_back(std::make_unique<Child>(args));
    }
    // The overview, in this process; a counter of light messages on the same broker.
    Problems problems;
    auto config = load_clinic_config(
        Json{{"clinic", "bench"},
             {"mqtt", {{"url", "mqtt://127.0.0.1:" + std::to_string(port)}}},
             {"control", {{"listen", "127.0.0.1:" + std::to_string(bench::free_loopback_port())}}}},
        problems);
    SteadyDeviceClock clock;
    ClinicService service(*config, clock);
    service.start();
    std::atomic<long> light_messages{0};
    MqttOptions mo;
    mo.port = port;
    mo.client_id = "bench-counter";
    MqttClient counter(mo, clock);
    counter.subscribe("zigbee2mqtt/+/+/set");
    counter.on_message(
        [&](const std::string&, const std::string&) { light_messages.fetch_add(1); });
    std::string error;
    counter.start(&error);
    const auto counting_since = WallClock::now(); // the rooms are starting: their first fades count
    auto all_seen = [&] {
        const Json rooms_now = service.overview().rooms(clock.now());
        int online = 0, sessions = 0;
        for (const auto& r : rooms_now) {
            online += r["online"].get<bool>();
            sessions += r["session"].is_object();
        }
        return online == n && sessions == playing;
    };
    const auto up_deadline = WallClock::now() + std::chrono::seconds(60 + n);
    while (!all_seen() && WallClock::now() < up_deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!all_seen()) {
        std::printf("N=%d: not every room reached the overview within %d s\n", n, 60 + n);
        return;
    }
    std::this_thread::sleep_for(std::chrono::seconds(3)); // start-up settles

    // CPU, memory and light messages over a 20 s window.
    constexpr double kWindow = 20;
    std::vector<double> cpu0(n);
    for (int i = 0; i < n; ++i)
        cpu0[i] = cpu_seconds(rooms[i]->pid);
    std::this_thread::sleep_for(std::chrono::duration<double>(kWindow));
    const long msgs = light_messages.load();
    const double counted_s =
        std::chrono::duration<double>(WallClock::now() - counting_since).count();
    double cpu_idle = 0, cpu_play = 0, mem_idle = 0, mem_play = 0;
    for (int i = 0; i < n; ++i) {
        const double cpu = (cpu_seconds(rooms[i]->pid) - cpu0[i]) / kWindow * 100.0;
        const double mem = private_mb(rooms[i]->pid);
        (i < playing ? cpu_play : cpu_idle) += cpu;
        (i < playing ? mem_play : mem_idle) += mem;
    }
    cpu_idle /= (n - playing);
    mem_idle /= (n - playing);
    cpu_play /= playing;
    mem_play /= playing;
    // Every light message since the rooms started (a 20-minute fade is sent as segments of
    // at most 60 s per light, so a short window alone could miss them all).
    const double msgs_per_room_s = static_cast<double>(msgs) / playing / counted_s;

    // State change -> overview: Comfort on/off in turn over MQTT, until the overview shows it.
    std::vector<double> latency_ms;
    const int rounds = 40;
    for (int k = 0; k < rounds; ++k) {
        const int i = k % playing;
        const bool on = (k / playing) % 2 == 0;
        const std::string id = "room-" + std::to_string(i);
        const auto t0 = WallClock::now();
        counter.publish("stillroom/" + id + "/cmd/comfort", Json{{"on", on}}.dump(), 1, false);
        const auto deadline = t0 + std::chrono::seconds(10);
        bool seen = false;
        while (!seen && WallClock::now() < deadline) {
            for (const auto& r : service.overview().rooms(clock.now()))
                if (r["room"] == id && r["session"].is_object() && r["session"]["comfort"] == on)
                    seen = true;
            if (!seen) std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
        if (seen)
            latency_ms.push_back(
                std::chrono::duration<double, std::milli>(WallClock::now() - t0).count());
    }
    std::printf(
        "\n### N = %d rooms (%d playing with fades, %d idle), one mosquitto, one overview\n\n", n,
        playing, n - playing);
    std::printf("| measure                                      |     value       | goal        | "
                "ratio  |\n");
    std::printf("|----------------------------------------------|-----------------|-------------|--"
                "------|\n");
    row("state change -> overview p50", pct(latency_ms, 0.5), "ms", 1000, true);
    row("state change -> overview p99", pct(latency_ms, 0.99), "ms", 1000, true);
    row("changes seen by the overview (of 40)", static_cast<double>(latency_ms.size()), "", 40,
        false);
    row("CPU per idle room", cpu_idle, "%", 1, true);
    row("CPU per playing room (room + audio sink)", cpu_play, "%", 10, true);
    row("private memory per idle room", mem_idle, "MB", 64, true);
    row("private memory per playing room", mem_play, "MB", 128, true);
    row("light messages per playing room per second", msgs_per_room_s, "/s", 8.0 / 9.0, true);
    std::printf(
        "(light messages: %ld in %.0f s from start-up, %d playing rooms with 2 lights each)\n",
        msgs, counted_s, playing);
    counter.stop();
    service.stop();
    rooms.clear();
    fs::remove_all(dir);
}

} // namespace

int main(int argc, char** argv) {
    std::vector<int> sizes;
    for (int i = 1; i < argc; ++i)
        sizes.push_back(std::atoi(argv[i]));
    if (sizes.empty()) sizes = {10, 50};
    // A 30-second quiet tone for the playing rooms (sox is a test dependency).
    const std::string tone = (fs::temp_directory_path() / "stillroom-bench-tone.wav").string();
    if (std::system(
            ("sox -n -r 48000 -c 2 -b 16 " + tone + " synth 30 sine 220 vol 0.1 2>/dev/null")
                .c_str()) != 0) {
        std::printf("sox is needed to make the test tone\n");
        return 1;
    }
    std::printf("## bench_clinic: rooms, overview and broker on this machine (%u cores)\n",
                std::thread::hardware_concurrency());
    for (int n : sizes)
        run(n, STILLROOM_EXE);
    return 0;
}
