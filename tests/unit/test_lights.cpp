// Lights: colour maths, every dialect's topics and payloads, segmenting long fades,
// rate limiting and coalescing, and re-asserting after a reconnect.
#include "fake_mqtt.hpp"
#include "lights_support.hpp"

#include "devices/light_dialects.hpp"
#include "devices/lights_driver.hpp"
#include "devices/z2m_discovery.hpp"
#include "scenes/colour.hpp"
#include "scenes/light_fade.hpp"
#include "scenes/scene.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace stillroom;
using namespace stillroom::test;
using namespace std::chrono_literals;

namespace {

LightConfig light(Dialect d, bool transition = true) {
    LightConfig c;
    c.id = "l";
    c.name = "L";
    c.dialect = d;
    c.topic = d == Dialect::Zigbee2Mqtt ? "zigbee2mqtt/room1/ceiling" : "room1/ceiling";
    c.brightness = true;
    c.kelvin = std::pair{2200, 6500};
    c.color = true;
    c.transition = transition;
    c.max_rate_hz = 2;
    return c;
}

LightState warm(double brightness, double kelvin = 2200) {
    return {true, brightness, kelvin, std::nullopt};
}

Scene scene(const std::string& id, double brightness, double kelvin) {
    Scene s;
    s.id = id;
    s.lights["*"] = LightTarget{true, brightness, kelvin, std::nullopt};
    return s;
}

} // namespace

TEST_CASE("perceived brightness follows CIE L*") {
    struct Row {
        double perceived, linear;
    };
    const Row rows[] = {{0, 0},         {0.08, 0.00886}, {0.5, 0.1842},
                        {0.18, 0.0262}, {1.0, 1.0},      {0.05, 0.05 * 100 / 903.3}};
    for (const auto& r : rows) {
        CAPTURE(r.perceived);
        CHECK(perceived_to_linear(r.perceived) == doctest::Approx(r.linear).epsilon(0.01));
        CHECK(linear_to_perceived(perceived_to_linear(r.perceived)) ==
              doctest::Approx(r.perceived).epsilon(1e-6));
    }
}

TEST_CASE("colour temperature: kelvin, mireds and xy agree") {
    CHECK(kelvin_to_mired(2200) == doctest::Approx(454.5).epsilon(0.001));
    CHECK(mired_to_kelvin(153) == doctest::Approx(6535.9).epsilon(0.001));
    for (double k : {2000.0, 2700.0, 4000.0, 6500.0}) {
        CAPTURE(k);
        CHECK(xy_to_kelvin(kelvin_to_xy(k)) == doctest::Approx(k).epsilon(0.02));
    }
    const Chromaticity d65 = kelvin_to_xy(6504);
    CHECK(d65.x == doctest::Approx(0.3127).epsilon(0.01));
    CHECK(d65.y == doctest::Approx(0.3290).epsilon(0.01));
}

TEST_CASE("every dialect's topic and payload") {
    struct Row {
        Dialect dialect;
        LightState state;
        Ms transition;
        const char* topic;
        const char* payload;
    };
    const Row rows[] = {
        {Dialect::Zigbee2Mqtt, warm(0.5, 2700), 90s, "zigbee2mqtt/room1/ceiling/set",
         R"({"brightness":47,"color_temp":370,"state":"ON","transition":90.0})"},
        {Dialect::Zigbee2Mqtt, LightState{}, 3s, "zigbee2mqtt/room1/ceiling/set",
         R"({"state":"OFF","transition":3.0})"},
        {Dialect::Zigbee2Mqtt, LightState{true, 1.0, std::nullopt, Chromaticity{0.56, 0.40}}, 0s,
         "zigbee2mqtt/room1/ceiling/set",
         R"({"brightness":254,"color":{"x":0.56,"y":0.4},"state":"ON","transition":0.0})"},
        {Dialect::HomeAssistant, warm(0.5, 2700), 2s, "room1/ceiling/set",
         R"({"brightness":47,"color_temp":370,"state":"ON","transition":2.0})"},
        {Dialect::Tasmota, warm(0.5, 2700), 10s, "cmnd/room1/ceiling/Backlog0",
         "SetOption117 1;Fade2 1;Speed2 20;Dimmer 18;CT 370"},
        {Dialect::Tasmota, LightState{}, 1s, "cmnd/room1/ceiling/Backlog0",
         "SetOption117 1;Fade2 1;Speed2 2;Power OFF"},
        {Dialect::Wled, warm(0.5, 2700), 1500ms, "room1/ceiling/api",
         R"({"bri":47,"on":true,"seg":[{"cct":2700,"col":[[255,255,255,255]]}],"tt":15})"},
        {Dialect::Wled, LightState{}, 0s, "room1/ceiling/api", R"({"on":false,"tt":0})"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.topic);
        CAPTURE(r.payload);
        auto msgs = encode_light(light(r.dialect), r.state, r.transition);
        REQUIRE(msgs.size() == 1);
        CHECK(msgs[0].topic == r.topic);
        CHECK(msgs[0].payload == r.payload);
        CHECK(msgs[0].qos == 1);
        CHECK_FALSE(msgs[0].retain);
    }
}

TEST_CASE("clamping at the ends of a light's range") {
    LightConfig c = light(Dialect::Zigbee2Mqtt);
    CHECK(clamp_mired(c, 1800) == 455);        // warmer than the light can: its warmest, 2200 K
    CHECK(clamp_mired(c, 9000) == 154);        // cooler: 6500 K
    CHECK(device_brightness(0.001, 254) == 1); // on is never brightness 0
    CHECK(device_brightness(0.0, 254) == 0);
    CHECK(device_brightness(1.0, 254) == 254);
    CHECK(device_brightness(2.0, 254) == 254);
    // Tasmota's Speed2 tops out at 20 s; a light without CT gets no colour temperature.
    c = light(Dialect::Tasmota);
    CHECK(encode_light(c, warm(0.2), 60s)[0].payload.find("Speed2 40;") != std::string::npos);
    c.kelvin.reset();
    c.color = false;
    CHECK(encode_light(c, warm(0.2), 0s)[0].payload.find("CT") == std::string::npos);
}

TEST_CASE("one colour decision for every dialect: a colour asked of a CT-only light is its nearest "
          "white") {
    // An amber xy (about 2200 K on the Planckian locus) sent to lights that have colour
    // temperature but no colour: every dialect shows it as a white, none drops it.
    const Chromaticity amber = kelvin_to_xy(2200);
    const LightState s{true, 0.5, std::nullopt, amber};
    for (Dialect d :
         {Dialect::Zigbee2Mqtt, Dialect::HomeAssistant, Dialect::Tasmota, Dialect::Wled}) {
        LightConfig c = light(d);
        c.color = false;
        CAPTURE(static_cast<int>(d));
        const auto messages = encode_light(c, s, 2s);
        REQUIRE(messages.size() == 1);
        const std::string& p = messages[0].payload;
        if (d == Dialect::Tasmota) {
            const auto at = p.find(";CT ");
            REQUIRE(at != std::string::npos);
            CHECK(std::abs(std::stoi(p.substr(at + 4)) - 455) <= 12); // 2200 K = 455 mireds
            CHECK(p.find("Color2") == std::string::npos);
        } else if (d == Dialect::Wled) {
            const Json j = Json::parse(p);
            CHECK(std::abs(j["seg"][0]["cct"].get<int>() - 2200) < 60);
        } else {
            const Json j = Json::parse(p);
            CHECK(std::abs(j["color_temp"].get<int>() - 455) <= 12);
            CHECK_FALSE(j.contains("color"));
        }
    }
    // The same colour on a light with colour stays a colour.
    const auto coloured = encode_light(light(Dialect::Wled), s, 2s);
    CHECK(Json::parse(coloured[0].payload)["seg"][0].contains("col"));
    CHECK_FALSE(Json::parse(coloured[0].payload)["seg"][0].contains("cct"));
}

TEST_CASE("availability in the old string form and the Zigbee2MQTT 2.0 JSON form") {
    CHECK(parse_availability("online") == true);
    CHECK(parse_availability("offline") == false);
    CHECK(parse_availability("Online") == true); // Tasmota LWT
    CHECK(parse_availability(R"({"state":"online"})") == true);
    CHECK(parse_availability(R"({"state":"offline"})") == false);
    CHECK_FALSE(parse_availability("{not json").has_value());
    CHECK_FALSE(parse_availability(R"({"state":3})").has_value());
    CHECK_FALSE(parse_availability("maybe").has_value());
}

TEST_CASE("a 15-minute fade becomes a few native segments on the L* curve") {
    LightFade fade{warm(0.05, 2200), warm(0.6, 2700), MonoTime{Ms{0}}, 15min};
    auto segs = fade_segments(fade, fade.start, 60s);
    REQUIRE(segs.size() == 15);
    for (std::size_t i = 0; i < segs.size(); ++i) {
        CAPTURE(i);
        CHECK(segs[i].length == 60s);
        CHECK(segs[i].start == fade.start + 60s * static_cast<int>(i));
        CHECK(segs[i].target == fade.at(segs[i].start + segs[i].length));
    }
    CHECK(segs.back().target == fade.to);
    // The midpoint is perceptually half-way (linear in L*), colour half-way in mireds.
    const LightState mid = fade.at(fade.start + 450s);
    CHECK(mid.brightness == doctest::Approx(0.325));
    CHECK(kelvin_to_mired(*mid.kelvin) ==
          doctest::Approx((kelvin_to_mired(2200) + kelvin_to_mired(2700)) / 2));
    // An S-curve in time: slow at both ends.
    CHECK(fade.at(fade.start + 60s).brightness - 0.05 < (0.6 - 0.05) * 60.0 / 900.0);
}

TEST_CASE("the driver sends one command per native segment, rate-limited and coalesced") {
    FakeMqtt mqtt;
    ManualClock clock;
    ManualDeviceClock device_clock;
    LightsDriverOptions o;
    o.lights = {light(Dialect::Zigbee2Mqtt)};
    const std::map<std::string, Scene> scenes_of_o = {{"dim", scene("dim", 0.1, 2200)},
                                                      {"warm", scene("warm", 0.5, 2700)},
                                                      {"deep", scene("deep", 0.05, 2200)}};
    LightsDriver driver(o, &mqtt, clock, device_clock);
    const MonoTime t0 = clock.now();
    driver.apply({Ms{0}, SetScene{"dim", 0s, resolved(scenes_of_o, "dim", o.lights)}}, t0);
    driver.service();
    REQUIRE(mqtt.sent.size() == 1);
    CHECK_FALSE(mqtt.sent[0].retain);
    CHECK(mqtt.sent[0].qos == 1);
    mqtt.take();
    // A 5-minute fade: five one-minute segments, each sent when its minute starts.
    clock.advance_by(10s);
    driver.apply({Ms{0}, SetScene{"warm", 5min, resolved(scenes_of_o, "warm", o.lights)}},
                 clock.now());
    for (int s = 0; s < 320; ++s) {
        driver.service();
        clock.advance_by(1s);
    }
    auto sent = mqtt.take();
    CHECK(sent.size() == 5);
    for (const auto& m : sent)
        CHECK(Json::parse(m.payload)["transition"].get<double>() ==
              doctest::Approx(60.0).epsilon(0.02));
    // Three scene changes within 100 ms: one command now, then only the newest target.
    driver.apply({Ms{0}, SetScene{"dim", 0s, resolved(scenes_of_o, "dim", o.lights)}}, clock.now());
    driver.service();
    clock.advance_by(50ms);
    driver.apply({Ms{0}, SetScene{"deep", 0s, resolved(scenes_of_o, "deep", o.lights)}},
                 clock.now());
    driver.service();
    clock.advance_by(50ms);
    driver.apply({Ms{0}, SetScene{"warm", 0s, resolved(scenes_of_o, "warm", o.lights)}},
                 clock.now());
    driver.service();
    CHECK(mqtt.sent.size() == 1); // the rate limit (2 Hz) holds the rest back
    clock.advance_by(500ms);
    driver.service();
    sent = mqtt.take();
    REQUIRE(sent.size() == 2);
    CHECK(Json::parse(sent[1].payload)["brightness"] ==
          device_brightness(0.5, 254)); // the newest won
}

TEST_CASE("lights without native transitions are stepped at their rate") {
    FakeMqtt mqtt;
    ManualClock clock;
    ManualDeviceClock device_clock;
    LightsDriverOptions o;
    LightConfig c = light(Dialect::Wled, false);
    c.max_rate_hz = 4;
    o.lights = {c};
    const std::map<std::string, Scene> scenes_of_o = {{"a", scene("a", 0.2, 2700)},
                                                      {"b", scene("b", 0.8, 2700)}};
    LightsDriver driver(o, &mqtt, clock, device_clock);
    driver.apply({Ms{0}, SetScene{"a", 0s, resolved(scenes_of_o, "a", o.lights)}}, clock.now());
    driver.service();
    mqtt.take();
    driver.apply({Ms{0}, SetScene{"b", 10s, resolved(scenes_of_o, "b", o.lights)}}, clock.now());
    for (int i = 0; i < 1200; ++i) {
        driver.service();
        clock.advance_by(10ms);
    }
    auto sent = mqtt.take();
    CHECK(sent.size() >= 30);
    CHECK(sent.size() <= 41); // never more than 4 per second
    int last = -1;
    for (const auto& m : sent) {
        const int bri = Json::parse(m.payload)["bri"].get<int>();
        CHECK(bri >= last); // monotonic: no flash
        last = bri;
    }
    CHECK(last == device_brightness(0.8, 255));
}

TEST_CASE("after a reconnect every light is re-asserted with a fade, never retained") {
    FakeMqtt mqtt;
    ManualClock clock;
    ManualDeviceClock device_clock;
    LightsDriverOptions o;
    o.lights = {light(Dialect::Zigbee2Mqtt), light(Dialect::Tasmota)};
    o.lights[1].id = "t";
    const std::map<std::string, Scene> scenes_of_o = {{"warm", scene("warm", 0.5, 2700)}};
    LightsDriver driver(o, &mqtt, clock, device_clock);
    driver.apply({Ms{0}, SetScene{"warm", 2min, resolved(scenes_of_o, "warm", o.lights)}},
                 clock.now());
    driver.service();
    mqtt.take();
    mqtt.disconnect();
    clock.advance_by(30s);
    driver.service();
    CHECK(mqtt.sent.empty());
    mqtt.connect();
    driver.service();
    auto sent = mqtt.take();
    REQUIRE(sent.size() == 2);
    for (const auto& m : sent)
        CHECK_FALSE(m.retain);
    const Json z = Json::parse(sent[0].payload);
    CHECK(z["transition"].get<double>() >= 4.0); // faded, not snapped
    // A light that comes back online is re-asserted too; an unreadable payload is ignored.
    mqtt.deliver("zigbee2mqtt/room1/ceiling/availability", R"({"state":"offline"})");
    mqtt.deliver("zigbee2mqtt/room1/ceiling/availability", "garbage");
    clock.advance_by(5s);
    driver.service();
    mqtt.take();
    mqtt.deliver("zigbee2mqtt/room1/ceiling/availability", R"({"state":"online"})");
    driver.service();
    sent = mqtt.take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].topic == "zigbee2mqtt/room1/ceiling/set");
}

TEST_CASE("Zigbee2MQTT discovery turns exposes into room.json lights") {
    const Json devices = Json::parse(R"([
      {"friendly_name":"Coordinator","type":"Coordinator"},
      {"friendly_name":"room1/ceiling","definition":{"exposes":[{"type":"light","features":[
        {"name":"state"},{"name":"brightness","value_max":254},{"name":"color_temp","value_min":153,"value_max":454},
        {"name":"color_xy"}]}]}},
      {"friendly_name":"Hall sensor","definition":{"exposes":[{"type":"numeric","name":"temperature"}]}},
      {"friendly_name":"room1/ceiling","definition":{"exposes":[{"type":"light","features":[{"name":"state"}]}]}},
      {"definition":{"exposes":[{"type":"light","features":[{"name":"state"}]}]}},
      "junk"])");
    Problems problems("bridge/devices");
    Json lights = lights_from_z2m_devices(devices, "zigbee2mqtt", problems);
    REQUIRE(lights.size() == 2);
    CHECK(lights[0]["id"] == "room1-ceiling");
    CHECK(lights[0]["topic"] == "zigbee2mqtt/room1/ceiling");
    CHECK(lights[0]["brightness"] == true);
    CHECK(lights[0]["color"] == true);
    CHECK(lights[0]["kelvin"] == Json::array({2203, 6536}));
    CHECK(lights[1]["id"] == "room1-ceiling-2"); // ids stay unique
    CHECK(lights[1]["brightness"] == false);
    CHECK(lights[1]["kelvin"] == false);
    CHECK(problems.list().size() == 1); // the nameless light
    // Every entry loads back as room.json lights.
    Json room = {{"room", "r"}, {"mqtt", {{"url", "mqtt://127.0.0.1:1883"}}}, {"lights", lights}};
    Problems rp("room.json");
    CHECK(load_room_config(room, rp).has_value());
    Problems bad("bridge/devices");
    CHECK(lights_from_z2m_devices(Json::object(), "z", bad).empty());
    CHECK(bad.has_errors());
}

TEST_CASE("the lights worker sleeps until the next step is due: an idle room does not wake") {
    FakeMqtt mqtt;
    ManualClock clock;
    ManualDeviceClock device_clock;
    LightsDriverOptions o;
    LightConfig stepped = light(Dialect::Wled, false); // stepped at its rate (4 Hz)
    stepped.id = "stepped";
    stepped.max_rate_hz = 4;
    LightConfig native = light(Dialect::Zigbee2Mqtt); // native transitions, 1-minute segments
    native.id = "native";
    o.lights = {stepped, native};
    const std::map<std::string, Scene> scenes = {{"a", scene("a", 0.2, 2700)},
                                                 {"b", scene("b", 0.8, 2700)}};
    LightsDriver driver(o, &mqtt, clock, device_clock);
    // Nothing to do: the next look is a minute away (the belt; changes ring the worker).
    CHECK(driver.service() - clock.now() == Ms{60'000});
    driver.apply({Ms{0}, SetScene{"a", 0s, resolved(scenes, "a", o.lights)}}, clock.now());
    // Just sent, at once: the stepped light is done; the next thing due is the end of the
    // native light's rate-limit gap (2 Hz), where it checks nothing was held back.
    CHECK(driver.service() - clock.now() == Ms{500});
    clock.advance_by(250ms);
    CHECK(driver.service() - clock.now() == Ms{250});
    clock.advance_by(250ms);
    // Both at rest: nothing due until the belt.
    CHECK(driver.service() - clock.now() == Ms{60'000});
    // A 2-minute fade: the stepped light every 250 ms, the native one at its next segment.
    driver.apply({Ms{0}, SetScene{"b", 2min, resolved(scenes, "b", o.lights)}}, clock.now());
    struct Row {
        Ms after;
        Ms due_within;
    };
    for (const Row row : {Row{Ms{0}, Ms{250}}, Row{Ms{250}, Ms{250}}, Row{Ms{60'000}, Ms{250}}}) {
        CAPTURE(row.after.count());
        clock.advance_by(row.after);
        const Ms due = driver.service() - clock.now();
        CHECK(due > Ms{0});
        CHECK(due <= row.due_within);
    }
    clock.advance_by(2min);
    driver.service();
    clock.advance_by(1s);
    driver.service(); // the last native segment ended; the stepped light reached its target
    clock.advance_by(1s);
    CHECK(driver.service() - clock.now() == Ms{60'000}); // at rest again: asleep
}
