// Lights benchmarks against a real mosquitto broker on loopback (started here):
// fan-out of a scene change to 200 lights, commands per light for a 15-minute fade, and
// effect-to-broker latency in live mode. Prints a table. usage: bench_lights
#include "devices/lights_driver.hpp"
#include "devices/mqtt_client.hpp"
#include "scenes/scene.hpp"

#include "bench_util.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <netinet/in.h>
#include <set>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace stillroom;
namespace fs = std::filesystem;
using WallClock = std::chrono::steady_clock; // benchmarks measure real time by design

namespace {

// A scene resolved for the driver's lights, as the session's snapshot carries it.
SceneLights resolved(const std::map<std::string, Scene>& scenes, const std::string& id,
                     const std::vector<LightConfig>& lights) {
    std::set<std::string> ids;
    for (const auto& l : lights)
        ids.insert(l.id);
    return resolve_scene(scenes.at(id), ids);
}

int free_port() {
    return stillroom::bench::free_loopback_port();
}

template <class Pred> bool wait_for(Pred pred, double seconds) {
    const auto end = WallClock::now() + std::chrono::duration<double>(seconds);
    while (WallClock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return pred();
}

Scene scene(const std::string& id, double b, double k) {
    Scene s;
    s.id = id;
    s.lights["*"] = LightTarget{true, b, k, std::nullopt};
    return s;
}

double pct(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

} // namespace

int main() {
    const int port = free_port();
    bench::Broker broker(port);
    if (!broker.ok()) {
        std::fprintf(stderr, "bench_lights: cannot start mosquitto\n");
        return 1;
    }

    // A subscriber that timestamps every light command.
    MqttOptions so;
    so.port = port;
    so.client_id = "bench-sub";
    SteadyDeviceClock sub_clock;
    MqttClient sub(so, sub_clock);
    std::mutex m;
    std::map<std::string, int> per_topic;
    std::vector<WallClock::time_point> arrivals;
    sub.subscribe("bench/#");
    sub.on_message([&](const std::string& t, const std::string&) {
        std::lock_guard lock(m);
        ++per_topic[t];
        arrivals.push_back(WallClock::now());
    });
    std::string error;
    sub.start(&error);
    MqttOptions po;
    po.port = port;
    po.client_id = "bench-pub";
    MqttClient pub(po, sub_clock);
    pub.start(&error);
    wait_for([&] { return sub.connected() && pub.connected(); }, 5);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));

    // 1. Fan-out: 200 lights, one scene change with a 15-minute fade.
    LightsDriverOptions o;
    for (int i = 0; i < 200; ++i) {
        LightConfig l;
        l.id = "l" + std::to_string(i);
        l.dialect = Dialect::Zigbee2Mqtt;
        l.topic = "bench/z/" + l.id;
        l.kelvin = std::pair{2200, 6500};
        o.lights.push_back(l);
    }
    const std::map<std::string, Scene> scenes_of_o = {{"deep", scene("deep", 0.05, 2200)},
                                                      {"return", scene("return", 0.5, 2700)}};
    ManualClock manual;
    ManualDeviceClock manual_device;
    LightsDriver fan(o, &pub, manual, manual_device);
    fan.apply({Ms{0}, SetScene{"deep", Ms{0}, resolved(scenes_of_o, "deep", o.lights)}},
              manual.now());
    fan.service();
    wait_for([&] { return pub.acknowledged() >= 200; }, 10);
    const auto acked_before = pub.acknowledged();
    manual.advance_by(Ms{1000}); // past the per-light rate limit
    const auto t0 = WallClock::now();
    fan.apply({Ms{0}, SetScene{"return", std::chrono::minutes{15},
                               resolved(scenes_of_o, "return", o.lights)}},
              manual.now());
    fan.service();
    const bool all_acked = wait_for([&] { return pub.acknowledged() >= acked_before + 200; }, 10);
    const double fanout_ms =
        std::chrono::duration<double, std::milli>(WallClock::now() - t0).count();
    // The rest of the fade, on simulated time: one command per one-minute segment.
    for (int s = 0; s < 16 * 60; ++s) {
        manual.advance_by(Ms{1000});
        fan.service();
    }
    const auto sent = fan.commands_sent();
    int min_sent = 1 << 30, max_sent = 0;
    for (const auto& [id, n] : sent) {
        min_sent = std::min(min_sent, n - 1); // minus the first "deep" command
        max_sent = std::max(max_sent, n - 1);
    }

    // 2. Live effect-to-broker latency: one light, 300 scene changes, real clock and worker.
    SteadyClock steady;
    SteadyDeviceClock steady_device;
    LightsDriverOptions one;
    LightConfig l;
    l.id = "live";
    l.dialect = Dialect::Zigbee2Mqtt;
    l.topic = "bench/live";
    l.kelvin = std::pair{2200, 6500};
    l.max_rate_hz = 20;
    one.lights = {l};
    LightsDriver live(one, &pub, steady, steady_device);
    live.start();
    std::vector<double> latencies;
    for (int i = 0; i < 300; ++i) {
        std::size_t before;
        {
            std::lock_guard lock(m);
            before = arrivals.size();
        }
        const auto sent_at = WallClock::now();
        live.apply({Ms{0}, SetScene{i % 2 ? "deep" : "return", Ms{2000},
                                    resolved(scenes_of_o, i % 2 ? "deep" : "return", one.lights)}},
                   steady.now());
        wait_for(
            [&] {
                std::lock_guard lock(m);
                return arrivals.size() > before;
            },
            2);
        {
            std::lock_guard lock(m);
            if (arrivals.size() > before)
                latencies.push_back(
                    std::chrono::duration<double, std::milli>(arrivals[before] - sent_at).count());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(60)); // past the 20 Hz rate limit
    }
    live.stop();

    std::printf("\n%-60s %12s\n", "measure", "value");
    std::printf("%-60s %12.1f%s\n", "fan-out: 200 lights, effect to last broker ack (ms)",
                fanout_ms, all_acked ? "" : " (incomplete)");
    std::printf("%-60s %6d..%-5d\n", "commands per light for a 15-minute fade (min..max)", min_sent,
                max_sent);
    std::printf("%-60s %12d\n", "native-transition segments in that fade", 15);
    std::printf("%-60s %12.2f\n", "live effect-to-subscriber latency p50 (ms)",
                pct(latencies, 0.5));
    std::printf("%-60s %12.2f\n", "live effect-to-subscriber latency p99 (ms)",
                pct(latencies, 0.99));
    std::printf("%-60s %12zu\n", "samples", latencies.size());
    pub.stop();
    sub.stop();
    return 0;
}
