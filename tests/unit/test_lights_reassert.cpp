// Re-asserting a light that is at rest (its fade long over) after a broker reconnect or
// when the light comes back online: it is faded to its target over reassert_fade, never
// snapped (a light that lost power may be at full brightness in a dark room).
#include "fake_mqtt.hpp"

#include "devices/lights_driver.hpp"
#include "scenes/scene.hpp"

#include <doctest/doctest.h>

using namespace stillroom;
using namespace stillroom::test;
using namespace std::chrono_literals;

namespace {

LightConfig native_light(const std::string& id, Dialect d, const std::string& topic) {
    LightConfig c;
    c.id = id;
    c.name = id;
    c.dialect = d;
    c.topic = topic;
    c.brightness = true;
    c.kelvin = std::pair{2200, 6500};
    c.transition = true;
    c.max_rate_hz = 2;
    return c;
}

// The fade each dialect was told to use, in seconds.
double transition_seconds(const FakeMqtt::Sent& m) {
    if (m.topic.rfind("cmnd/", 0) == 0) { // Tasmota: "Speed2 N;" with N half-seconds
        const auto at = m.payload.find("Speed2 ");
        REQUIRE(at != std::string::npos);
        return std::stoi(m.payload.substr(at + 7)) / 2.0;
    }
    const Json j = Json::parse(m.payload);
    if (j.contains("tt")) return j["tt"].get<double>() / 10.0; // WLED: tenths of a second
    return j.at("transition").get<double>();                   // Zigbee2MQTT, Home Assistant
}

} // namespace

TEST_CASE(
    "a light at rest is re-asserted with a fade after a reconnect and after coming back online") {
    FakeMqtt mqtt;
    ManualClock clock;
    ManualDeviceClock device_clock;
    LightsDriverOptions o;
    o.lights = {native_light("z", Dialect::Zigbee2Mqtt, "zigbee2mqtt/room1/z"),
                native_light("h", Dialect::HomeAssistant, "homeassistant/room1/h"),
                native_light("t", Dialect::Tasmota, "room1/t"),
                native_light("w", Dialect::Wled, "room1/w")};
    Scene warm;
    warm.id = "warm";
    warm.lights["*"] = LightTarget{true, 0.3, 2700.0, std::nullopt};
    REQUIRE(o.reassert_fade == 4s);
    LightsDriver driver(o, &mqtt, clock, device_clock);
    driver.apply({Ms{0}, SetScene{"warm", 10s, resolve_scene(warm, {"z", "h", "t", "w"})}},
                 clock.now());
    for (int i = 0; i < 40; ++i) { // the fade runs out, the lights rest at their target
        driver.service();
        clock.advance_by(1s);
    }
    mqtt.take();
    clock.advance_by(10min);
    driver.service();
    REQUIRE(mqtt.take().empty()); // at rest: nothing more to say

    SUBCASE("the broker connection comes back") {
        mqtt.disconnect();
        clock.advance_by(30s);
        driver.service();
        mqtt.connect();
        driver.service();
        const auto sent = mqtt.take();
        REQUIRE(sent.size() == 4);
        for (const auto& m : sent) {
            CAPTURE(m.topic);
            CAPTURE(m.payload);
            CHECK(transition_seconds(m) == doctest::Approx(4.0));
            CHECK_FALSE(m.retain);
        }
    }
    SUBCASE("one light comes back online") {
        mqtt.deliver("zigbee2mqtt/room1/z/availability", R"({"state":"offline"})");
        clock.advance_by(20s);
        driver.service();
        REQUIRE(mqtt.take().empty());
        mqtt.deliver("zigbee2mqtt/room1/z/availability", R"({"state":"online"})");
        driver.service();
        const auto sent = mqtt.take();
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].topic == "zigbee2mqtt/room1/z/set");
        CHECK(transition_seconds(sent[0]) == doctest::Approx(4.0));
        CHECK(Json::parse(sent[0].payload)["brightness"] == device_brightness(0.3, 254));
    }
}
