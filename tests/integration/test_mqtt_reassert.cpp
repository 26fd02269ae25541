// A light AT REST is re-asserted after the broker crashes and comes back, and the command it
// gets is a fade, not a snap (README "Reliability", docs/lights.md: re-asserted "with a
// fade"). The broker-restart test in test_mqtt.cpp kills the broker during a 20-minute fade,
// where the next step is long anyway; here every light has finished its fade, so only the
// re-assert's own fade (4 s, LightsDriverOptions::reassert_fade) can make it gentle.
//
// Order without races (gated_broker.hpp): the broker comes back refusing anonymous clients,
// so the room (which keeps retrying) cannot reconnect while a watcher with a password
// subscribes; then the broker reloads a config that lets the room in. The watcher therefore
// sees the room's first commands.
#include "../unit/temp_dir.hpp"
#include "gated_broker.hpp"
#include "helpers.hpp"
#include "process.hpp"
#include "services.hpp"
#include "sub_lines.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <sstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

// The first and the last payload on `topic`, if any.
std::optional<std::string> first_on(const fs::path& log, const std::string& topic) {
    for (const auto& l : read_sub_lines(log))
        if (l.topic == topic) return l.payload;
    return std::nullopt;
}
std::optional<std::string> last_on(const fs::path& log, const std::string& topic) {
    std::optional<std::string> out;
    for (const auto& l : read_sub_lines(log))
        if (l.topic == topic) out = l.payload;
    return out;
}

// One light per dialect with a native transition; what each says about its transition and
// its level, read from its own command format.
struct Dialect {
    const char* id;
    std::string topic; // where its commands go
    // Seconds of transition the command asks for, and its level in the device's own unit.
    std::function<std::pair<double, int>(const std::string&)> read;
};

std::pair<double, int> read_json(const std::string& payload, const char* seconds_key,
                                 double per_second, const char* level_key) {
    const Json j = Json::parse(payload);
    return {j.value(seconds_key, 0.0) / per_second, j.value(level_key, -1)};
}

int number_after(const std::string& s, const std::string& key) {
    const auto at = s.find(key);
    return at == std::string::npos ? -1 : std::atoi(s.c_str() + at + key.size());
}

const std::vector<Dialect> kDialects = {
    // Zigbee2MQTT: "transition" in seconds, brightness 0..254.
    {"z", "zigbee2mqtt/rr/z/set",
     [](const std::string& p) { return read_json(p, "transition", 1, "brightness"); }},
    // Home Assistant JSON schema: "transition" in seconds, brightness 0..255.
    {"ha", "rr/ha/set",
     [](const std::string& p) { return read_json(p, "transition", 1, "brightness"); }},
    // Tasmota: "Speed2 N" in half seconds (no Speed2, "Fade2 0": a snap), Dimmer in %.
    {"tas", "cmnd/rr/tas/Backlog0",
     [](const std::string& p) {
         const int speed = number_after(p, "Speed2 ");
         return std::pair<double, int>{speed < 0 ? 0.0 : speed / 2.0, number_after(p, "Dimmer ")};
     }},
    // WLED: "tt" in 100 ms units, bri 0..255.
    {"wled", "rr/wled/api", [](const std::string& p) { return read_json(p, "tt", 10, "bri"); }},
};

void write_library(const fs::path& dir, int port) {
    write_text(dir / "room.json", R"({"room":"reassert",
      "mqtt":{"url":"mqtt://127.0.0.1:)" +
                                      std::to_string(port) + R"(","base_topic":"stillroom/rr"},
      "lights":[
        {"id":"z","dialect":"zigbee2mqtt","topic":"zigbee2mqtt/rr/z","kelvin":[2200,6500]},
        {"id":"ha","dialect":"homeassistant","topic":"rr/ha","kelvin":[2200,6500]},
        {"id":"tas","dialect":"tasmota","topic":"rr/tas","kelvin":[2200,6500]},
        {"id":"wled","dialect":"wled","topic":"rr/wled","kelvin":[2200,6500]}]})");
    write_text(dir / "scenes/warm.json",
               R"({"lights":{"*":{"on":true,"brightness":0.4,"kelvin":2700}}})");
    write_text(dir / "sessions/s.json", R"({"name":"S","phases":[
        {"id":"one","until":"therapist","duration":"1h","scene":"warm","fade":"1s"}]})");
}

} // namespace

TEST_CASE("MQTT: after a broker crash a light at rest is re-asserted with a fade, not a snap") {
    const int port = free_loopback_port();
    const std::string p = std::to_string(port);
    TempDir dir;
    GatedBroker broker(dir.path, port);
    REQUIRE(broker.start(true));
    Process sub;
    const fs::path log1 = dir.path / "before.log";
    REQUIRE(sub.start({"mosquitto_sub", "-h", "127.0.0.1", "-p", p, "-t", "#", "-F", "%r %t %p"},
                      log1.string()));
    REQUIRE(wait_subscribed(log1, {"-h", "127.0.0.1", "-p", p}, "test/probe"));

    write_library(dir.path / "lib", port);
    Problems problems;
    Library lib = load_library(dir.path / "lib", problems);
    INFO(problems.to_string());
    REQUIRE(lib.templates.count("s") == 1);
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    RoomServices services(std::move(lib), test_room_options(dir.path / "state", "off"), clock,
                          device_clock);
    services.start();
    REQUIRE(eventually([&] { return services.mqtt()->connected(); }, 300));
    REQUIRE(services.room().start({"s", ""}).ok);

    // At rest: every light's fade is over (the driver's own view: its target reached) and
    // every light has been told.
    REQUIRE(eventually(
        [&] {
            const auto now = services.lights()->current();
            for (const auto& d : kDialects) {
                const auto it = now.find(d.id);
                if (it == now.end() || std::abs(it->second.brightness - 0.4) > 1e-9) return false;
                if (!first_on(log1, d.topic)) return false;
            }
            return true;
        },
        300));
    std::map<std::string, int> level_at_rest;
    for (const auto& d : kDialects)
        level_at_rest[d.id] = d.read(*last_on(log1, d.topic)).second;

    // The broker crashes and comes back locked: the room keeps trying and is refused.
    broker.kill_hard();
    sub.kill_hard();
    REQUIRE(eventually([&] { return !services.mqtt()->connected(); }, 300));
    REQUIRE(broker.start(false));
    const fs::path log2 = dir.path / "after.log";
    std::vector<std::string> watch = {"mosquitto_sub"};
    for (const auto& a : broker.watcher_args())
        watch.push_back(a);
    watch.insert(watch.end(), {"-t", "#", "-F", "%r %t %p"});
    REQUIRE(sub.start(watch, log2.string()));
    REQUIRE(wait_subscribed(log2, broker.watcher_args(), "test/probe"));
    CHECK_FALSE(services.mqtt()->connected()); // still refused: nothing sent unseen
    for (const auto& d : kDialects)
        CHECK_FALSE(first_on(log2, d.topic).has_value());

    // Let the room in.
    REQUIRE(broker.open());
    REQUIRE(eventually(
        [&] {
            for (const auto& d : kDialects)
                if (!first_on(log2, d.topic)) return false;
            return true;
        },
        300));
    for (const auto& d : kDialects) {
        const std::string light = d.id;
        CAPTURE(light);
        const std::string first = *first_on(log2, d.topic);
        CAPTURE(first);
        const auto [transition_s, level] = d.read(first);
        MESSAGE(light << ": re-asserted at rest with a " << transition_s << " s transition");
        // A fade over the re-assert's 4 s (each format's own resolution), never a snap.
        CHECK(transition_s >= 3.5);
        CHECK(transition_s <= 4.5);
        // To where it was at rest.
        CHECK(level == level_at_rest[d.id]);
    }
    for (const fs::path& f : {log1, log2})
        for (const auto& l : read_sub_lines(f))
            if (l.topic != "test/probe" && l.topic.rfind("stillroom/", 0) != 0)
                CHECK_FALSE(l.retained); // light commands are never retained
    services.stop();
    sub.stop();
    broker.stop();
}
