// Tablet benchmarks on loopback: tap-to-room latency (POST comfort -> first light command
// at an MQTT subscriber, and -> the mixer starting the volume ramp), alone and under load
// (20 SSE clients + 50 GET /state per second); GET /state throughput; peak memory.
// Starts its own mosquitto. Prints a table. usage: bench_tablet
#include "app/room_services.hpp"

#include <httplib.h>

#include "bench_util.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace stillroom;
namespace fs = std::filesystem;
using WallClock = std::chrono::steady_clock; // benchmarks measure real time by design

namespace {

int free_port() {
    return stillroom::bench::free_loopback_port();
}

void write_text(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

double pct(std::vector<double> v, double p) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

struct Latencies {
    std::vector<double> light, audio;
};

} // namespace

int main() {
    const int mqtt_port = free_port(), http_port = free_port();
    const fs::path dir =
        fs::temp_directory_path() / ("stillroom-bench-tablet-" + std::to_string(getpid()));
    bench::Broker broker(mqtt_port);

    write_text(
        dir / "lib/room.json",
        Json{{"room", "bench"},
             {"audio", {{"device", "default"}, {"sample_rate", 48000}, {"buffer_frames", 512}}},
             {"mqtt",
              {{"url", "mqtt://127.0.0.1:" + std::to_string(mqtt_port)},
               {"base_topic", "stillroom/bench"}}},
             {"lights", Json::array({{{"id", "ceiling"},
                                      {"dialect", "zigbee2mqtt"},
                                      {"topic", "z/ceiling"},
                                      {"max_rate_hz", 20}}})},
             {"control",
              {{"listen", "127.0.0.1:" + std::to_string(http_port)},
               {"users",
                Json::array(
                    {{{"name", "t"}, {"role", "therapist"}, {"pin_hash", hash_pin("1357")}}})}}}}
            .dump());
    write_text(dir / "lib/scenes/calm.json",
               R"({"lights":{"*":{"on":true,"brightness":0.3,"kelvin":2700}}})");
    write_text(dir / "lib/scenes/comfort.json",
               R"({"lights":{"*":{"on":true,"brightness":0.2,"kelvin":2400}}})");
    write_text(
        dir / "lib/sessions/s.json",
        R"({"name":"S","phases":[{"id":"one","duration":"8h","scene":"calm","volume_db":-20,"fade":"0s"}],
        "comfort":{"scene":"comfort","fade":"5s","volume_offset_db":-6}})");
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

    // The subscriber: when did each light command arrive?
    MqttOptions so;
    so.port = mqtt_port;
    so.client_id = "bench-sub";
    MqttClient sub(so, device_clock);
    std::atomic<long long> last_light_ns{0};
    sub.subscribe("z/ceiling/set");
    sub.on_message([&](const std::string&, const std::string&) {
        last_light_ns = WallClock::now().time_since_epoch().count();
    });
    std::string error;
    sub.start(&error);
    while (!sub.connected() || !services.mqtt()->connected())
        std::this_thread::sleep_for(std::chrono::milliseconds(10));

    httplib::Client client("127.0.0.1", http_port);
    auto login = client.Post("/api/v1/login", R"({"pin":"1357"})", "application/json");
    const std::string token = Json::parse(login->body)["token"].get<std::string>();
    const httplib::Headers auth = {{"Authorization", "Bearer " + token}};
    client.Post("/api/v1/session/start", auth, R"({"template":"s"})", "application/json");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));

    auto measure = [&](int taps) {
        Latencies out;
        bool on = true;
        for (int i = 0; i < taps; ++i) {
            const long long before_light = last_light_ns.load();
            const float before_volume = services.audio()->mixer().volume_db();
            const auto t0 = WallClock::now();
            client.Post("/api/v1/session/comfort", auth, on ? R"({"on":true})" : R"({"on":false})",
                        "application/json");
            on = !on;
            double light_ms = -1, audio_ms = -1;
            while (WallClock::now() - t0 < std::chrono::seconds(2) &&
                   (light_ms < 0 || audio_ms < 0)) {
                if (light_ms < 0 && last_light_ns.load() != before_light)
                    light_ms =
                        std::chrono::duration<double, std::milli>(
                            WallClock::time_point(WallClock::duration(last_light_ns.load())) - t0)
                            .count();
                if (audio_ms < 0 && services.audio()->mixer().volume_db() != before_volume)
                    audio_ms =
                        std::chrono::duration<double, std::milli>(WallClock::now() - t0).count();
                std::this_thread::sleep_for(std::chrono::microseconds(200));
            }
            if (light_ms >= 0) out.light.push_back(light_ms);
            if (audio_ms >= 0) out.audio.push_back(audio_ms);
            std::this_thread::sleep_for(
                std::chrono::milliseconds(120)); // past the light's rate limit
        }
        return out;
    };

    const Latencies alone = measure(100);

    // Load: 20 SSE clients and 50 GET /state per second.
    std::atomic<bool> stop{false};
    std::vector<std::thread> load;
    for (int i = 0; i < 20; ++i)
        load.emplace_back([&] {
            httplib::Client c("127.0.0.1", http_port);
            c.set_read_timeout(2, 0);
            while (!stop)
                c.Get("/api/v1/events", auth, [&](const char*, size_t) { return !stop.load(); });
        });
    load.emplace_back([&] {
        httplib::Client c("127.0.0.1", http_port);
        auto next = WallClock::now();
        while (!stop) {
            c.Get("/api/v1/state", auth);
            next += std::chrono::milliseconds(20);
            std::this_thread::sleep_until(next);
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const Latencies loaded = measure(100);
    stop = true;
    for (auto& t : load)
        t.join();

    // Throughput of GET /state: 4 keep-alive clients for 3 seconds.
    std::atomic<long> done{0};
    std::vector<std::thread> workers;
    const auto t_end = WallClock::now() + std::chrono::seconds(3);
    for (int i = 0; i < 4; ++i)
        workers.emplace_back([&] {
            httplib::Client c("127.0.0.1", http_port);
            c.set_keep_alive(true);
            c.set_tcp_nodelay(true);
            while (WallClock::now() < t_end)
                if (auto r = c.Get("/api/v1/state", auth); r && r->status == 200) ++done;
        });
    for (auto& w : workers)
        w.join();
    rusage u{};
    getrusage(RUSAGE_SELF, &u);

    std::printf("\n%-64s %10s %10s\n", "tap-to-room latency (POST comfort ->)", "p50 ms", "p99 ms");
    std::printf("%-64s %10.2f %10.2f\n", "first light command at the MQTT subscriber, alone",
                pct(alone.light, .5), pct(alone.light, .99));
    std::printf("%-64s %10.2f %10.2f\n", "mixer starts the volume ramp, alone",
                pct(alone.audio, .5), pct(alone.audio, .99));
    std::printf("%-64s %10.2f %10.2f\n", "first light command, with 20 SSE clients + 50 GET/s",
                pct(loaded.light, .5), pct(loaded.light, .99));
    std::printf("%-64s %10.2f %10.2f\n", "mixer starts the volume ramp, with that load",
                pct(loaded.audio, .5), pct(loaded.audio, .99));
    std::printf("%-64s %10zu %10zu\n", "samples (light, audio) under load", loaded.light.size(),
                loaded.audio.size());
    std::printf("%-64s %10.0f\n", "GET /api/v1/state per second (4 keep-alive clients)",
                static_cast<double>(done.load()) / 3.0);
    std::printf("%-64s %10ld\n", "peak memory of the whole process (RSS, KB)", u.ru_maxrss);
    sub.stop();
    services.stop();
    fs::remove_all(dir);
    return 0;
}
