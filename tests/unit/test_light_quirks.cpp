// Device quirks (library/light_quirks.cpp): one test per row of the table, on payloads
// written from what each project documents. Every fixture cites its source.
#include "fake_mqtt.hpp"
#include "lights_support.hpp"

#include "devices/light_dialects.hpp"
#include "devices/lights_driver.hpp"
#include "devices/z2m_discovery.hpp"
#include "library/light_quirks.hpp"
#include "scenes/colour.hpp"
#include "scenes/scene.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace stillroom;
using namespace stillroom::test;
using namespace std::chrono_literals;

namespace {

LightConfig make_light(Dialect d, std::pair<int, int> kelvin = {2200, 4000}) {
    LightConfig c;
    c.id = "l";
    c.name = "L";
    c.dialect = d;
    c.topic = d == Dialect::Zigbee2Mqtt ? "zigbee2mqtt/room1/bulb" : "room1/bulb";
    c.kelvin = kelvin;
    return c;
}

LightState ct(double brightness, double kelvin) {
    return {true, brightness, kelvin, std::nullopt};
}

int count_of(const std::string& s, const std::string& what) {
    int n = 0;
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1))
        ++n;
    return n;
}

} // namespace

TEST_CASE("every quirk in the table has a source and a test here") {
    // Keep in step with the TEST_CASEs below: a new row needs a new test.
    const std::set<std::string> tested = {kQuirkOneTransition,          kQuirkTasmotaSpeed2Once,
                                          kQuirkTasmotaPowerOnRestores, kQuirkTasmotaSpeedIsRate,
                                          kQuirkWledCctWhiteOnly,       kQuirkWledCctRange};
    for (const auto& q : light_quirks()) {
        CAPTURE(q.id);
        CHECK(tested.count(q.id) == 1);
        CHECK(std::string(q.source).size() > 10);
        CHECK(std::string(q.what).size() > 10);
        CHECK(std::string(q.remedy).size() > 10);
    }
    CHECK(light_quirks().size() == tested.size());
}

TEST_CASE("tasmota-speed2-once: one Backlog0 carries every change, Speed2 once") {
    // Tasmota docs, Commands: "Backlog0 | List of commands to be executed without any delay";
    // Speed2 is a once-off speed (arendst/Tasmota PR #10730). tasmota/docs docs/Commands.md.
    const LightConfig c = make_light(Dialect::Tasmota);
    const auto msgs = encode_light(c, ct(0.5, 2700), 8s);
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].topic == "cmnd/room1/bulb/Backlog0");
    CHECK(msgs[0].payload.rfind("SetOption117 1;", 0) == 0);
    CHECK(count_of(msgs[0].payload, "Speed2 ") == 1);
    CHECK(msgs[0].payload.find("Speed2 16;Dimmer 18;CT 370") !=
          std::string::npos); // Speed2 right before the changes
}

TEST_CASE("tasmota-power-on-restores: Dimmer turns the light on, no Power ON before it") {
    // Tasmota docs, Commands: SetOption20 "Update of Dimmer/Color/CT without turning power on"
    // (0 = default: Dimmer turns power on). hatasmota light.py sends Dimmer in place of Power.
    LightConfig c = make_light(Dialect::Tasmota);
    const std::string on = encode_light(c, ct(0.3, 2700), 20s)[0].payload;
    CHECK(on.find("Power") == std::string::npos);
    CHECK(on.find("Dimmer 6") != std::string::npos);
    CHECK(encode_light(c, LightState{}, 20s)[0].payload.find("Power OFF") != std::string::npos);
    c.brightness = false; // an on/off relay light: Power ON is all it has
    CHECK(encode_light(c, ct(1.0, 2700), 0s)[0].payload.find("Power ON") != std::string::npos);
}

TEST_CASE("tasmota-speed-is-rate: SetOption117 makes Speed2 a duration") {
    // Tasmota docs, Commands: "SetOption117 | Run fade at fixed duration instead of fixed slew
    // rate"; "Speed ... The Speed value represents the time in 0.5s to fade from 0 to 100%".
    // The issue's case: 1 -> 6 % "over 20 s" took 1 s without it.
    const LightConfig c = make_light(Dialect::Tasmota);
    struct Row {
        Ms transition;
        const char* expect;
    };
    const Row rows[] = {
        {20s, "SetOption117 1;Fade2 1;Speed2 40;"},
        {90s, "SetOption117 1;Fade2 1;Speed2 40;"}, // the driver cuts fades into 20 s segments
        {1500ms, "SetOption117 1;Fade2 1;Speed2 3;"},
        {100ms, "SetOption117 1;Fade2 1;Speed2 1;"},
        {0s, "Fade2 0;Dimmer"}};
    for (const auto& r : rows) {
        CAPTURE(r.transition.count());
        CHECK(encode_light(c, ct(0.25, 2700), r.transition)[0].payload.find(r.expect) !=
              std::string::npos);
    }
    CHECK(max_native_transition(c) == 20s);
}

TEST_CASE("Tasmota topics follow the device's FullTopic") {
    // Tasmota docs, MQTT: FullTopic default "%prefix%/%topic%/"; prefixes cmnd, stat, tele.
    // https://tasmota.github.io/docs/MQTT/
    LightConfig c = make_light(Dialect::Tasmota);
    CHECK(tasmota_topic(c, "cmnd", "Backlog") == "cmnd/room1/bulb/Backlog");
    CHECK(availability_topic(c) == "tele/room1/bulb/LWT");
    c.full_topic = "tasmota/%topic%/%prefix%/";
    CHECK(encode_light(c, ct(0.5, 2700), 1s)[0].topic == "tasmota/room1/bulb/cmnd/Backlog0");
    CHECK(availability_topic(c) == "tasmota/room1/bulb/tele/LWT");
    c.full_topic = "%prefix%/clinic/%topic%"; // no trailing slash
    CHECK(tasmota_topic(c, "cmnd", "Backlog") == "cmnd/clinic/room1/bulb/Backlog");

    Problems p("room.json");
    auto room = load_room_config(
        Json::parse(R"({"room":"r","mqtt":{"url":"mqtt://127.0.0.1:1883"},"lights":[
        {"id":"a","dialect":"tasmota","topic":"x","full_topic":"cmnd/%topic%/"},
        {"id":"b","dialect":"zigbee2mqtt","topic":"z/b","full_topic":"%prefix%/%topic%/"},
        {"id":"c","dialect":"tasmota","topic":"y","quirks":["one-transition-attribute"]}]})"),
        p);
    const std::string text = p.to_string();
    CHECK(text.find("lights[0].full_topic") != std::string::npos);
    CHECK(text.find("lights[1].full_topic") != std::string::npos);
    CHECK(text.find("lights[2].quirks[0]") != std::string::npos);
}

TEST_CASE("wled-cct-white-only: a kelvin target sets the segment's colour to white") {
    // WLED JSON API, seg: "cct" = white spectrum colour temperature; "col" = the segment's
    // colours. https://kno.wled.ge/interfaces/json-api/
    const LightConfig c = make_light(Dialect::Wled, {2000, 6500});
    const Json j = Json::parse(encode_light(c, ct(1.0, 2700), 2s)[0].payload);
    REQUIRE(j["seg"].is_array());
    CHECK(j["seg"][0]["cct"] == 2700);
    CHECK(j["seg"][0]["col"] == Json::parse("[[255,255,255,255]]"));
}

TEST_CASE("wled-cct-range: kelvin is clamped to what seg.cct accepts") {
    // WLED JSON API: seg "cct" accepts 0-255 or kelvin 1900-10091.
    // https://kno.wled.ge/interfaces/json-api/
    const LightConfig c = make_light(Dialect::Wled, {1000, 20000});
    CHECK(Json::parse(encode_light(c, ct(1.0, 1200), 0s)[0].payload)["seg"][0]["cct"] == 1900);
    CHECK(Json::parse(encode_light(c, ct(1.0, 15000), 0s)[0].payload)["seg"][0]["cct"] == 10091);
    const LightConfig narrow = make_light(Dialect::Wled, {2700, 5000});
    CHECK(Json::parse(encode_light(narrow, ct(1.0, 2000), 0s)[0].payload)["seg"][0]["cct"] == 2700);
}

TEST_CASE("Zigbee2MQTT: color_temp only when it changes") {
    // Koenkk/zigbee2mqtt #1810: a second Zigbee command (moveToColorTemp) cancels the first's
    // transition; an unchanged color_temp is such a command for nothing.
    const LightConfig c = make_light(Dialect::Zigbee2Mqtt);
    const auto cmd = encode_light_change(c, ct(0.2, 2700), ct(0.6, 2700), 30s);
    const Json j = Json::parse(cmd.messages.at(0).payload);
    CHECK_FALSE(j.contains("color_temp"));
    CHECK(j["brightness"] == device_brightness(0.6, 254));
    CHECK(cmd.heading == ct(0.6, 2700));
    // Nothing known (a restart): everything is said.
    CHECK(Json::parse(encode_light(c, ct(0.6, 2700), 30s)[0].payload).contains("color_temp"));
}

TEST_CASE("one-transition-attribute: an IKEA bulb never gets brightness and color_temp in one "
          "faded command") {
    // Koenkk/zigbee2mqtt #27214 (IKEA LED2003G10, Z2M 2.2.1): this payload fades nothing:
    //   {"state":"ON","transition":1,"brightness":115,"color_temp":454}
    // Z2M device page: "IKEA lights only support transitions on 1 attribute at a time".
    LightConfig c = make_light(Dialect::Zigbee2Mqtt, {2200, 4000});
    c.quirks = {kQuirkOneTransition};
    CHECK(max_native_transition(c) == 10s);
    const LightState from = ct(0.2, 4000), to = ct(0.6, 2200);
    const auto cmd = encode_light_change(c, from, to, 10s);
    const Json j = Json::parse(cmd.messages.at(0).payload);
    CHECK(j.contains("brightness") != j.contains("color_temp"));
    CHECK(j["transition"] == 10.0);
    CHECK_FALSE(cmd.heading == to); // the rest follows in the next command
    // At once (transition 0) both may go together: there is no fade to lose.
    const Json now = Json::parse(encode_light_change(c, from, to, 0s).messages.at(0).payload);
    CHECK(now.contains("brightness"));
    CHECK(now.contains("color_temp"));

    // Through the driver: a 60 s fade in both; every command one attribute, none sent before
    // the previous transition ends, and the light ends at both targets.
    FakeMqtt mqtt;
    ManualClock clock;
    ManualDeviceClock device_clock;
    LightsDriverOptions o;
    o.lights = {c};
    Scene a, b;
    a.id = "a";
    a.lights["*"] = LightTarget{true, 0.2, 4000.0, std::nullopt};
    b.id = "b";
    b.lights["*"] = LightTarget{true, 0.6, 2200.0, std::nullopt};
    const std::map<std::string, Scene> scenes_of_o = {{"a", a}, {"b", b}};
    LightsDriver driver(o, &mqtt, clock, device_clock);
    driver.apply({Ms{0}, SetScene{"a", 0s, resolved(scenes_of_o, "a", o.lights)}}, clock.now());
    driver.service();
    mqtt.take();
    driver.apply({Ms{0}, SetScene{"b", 60s, resolved(scenes_of_o, "b", o.lights)}}, clock.now());
    int last_bri = -1, last_ct = -1, commands = 0;
    MonoTime busy_until{};
    for (int i = 0; i < 900; ++i) { // 90 s in 100 ms steps
        driver.service();
        for (const auto& m : mqtt.take()) {
            const Json p = Json::parse(m.payload);
            CAPTURE(m.payload);
            ++commands;
            CHECK(p.contains("brightness") != p.contains("color_temp"));
            CHECK(clock.now() >= busy_until);
            busy_until =
                clock.now() + Ms{static_cast<Ms::rep>(p["transition"].get<double>() * 1000)};
            if (p.contains("brightness")) last_bri = p["brightness"];
            if (p.contains("color_temp")) last_ct = p["color_temp"];
        }
        clock.advance_by(100ms);
    }
    CHECK(commands >= 6);
    CHECK(last_bri == device_brightness(0.6, 254));
    CHECK(last_ct == clamp_mired(c, 2200));
}

TEST_CASE("multi-endpoint Zigbee2MQTT lights: one light per endpoint, suffixed keys") {
    // Written from zigbee-herdsman-converters src/lib/exposes.ts (withEndpoint: the light
    // gets "endpoint", each feature's "property" gets "_l1") and src/lib/modernExtend.ts
    // (power_on_behavior values off/on/toggle/previous, exposed per endpoint), in Z2M's
    // bridge/devices form (https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html).
    const Json devices = Json::parse(R"([
      {"friendly_name":"Coordinator","type":"Coordinator","definition":null},
      {"friendly_name":"room1/strip","type":"Router","definition":{"vendor":"Gledopto","model":"GL-C-007-2ID",
        "exposes":[
          {"type":"light","endpoint":"rgb","features":[
            {"type":"binary","name":"state","property":"state_rgb","endpoint":"rgb","access":7,"value_on":"ON","value_off":"OFF"},
            {"type":"numeric","name":"brightness","property":"brightness_rgb","endpoint":"rgb","access":7,"value_min":0,"value_max":254},
            {"type":"composite","name":"color_xy","property":"color_rgb","endpoint":"rgb","access":7,"features":[
              {"type":"numeric","name":"x","property":"x","access":7},{"type":"numeric","name":"y","property":"y","access":7}]}]},
          {"type":"light","endpoint":"white","features":[
            {"type":"binary","name":"state","property":"state_white","endpoint":"white","access":7},
            {"type":"numeric","name":"brightness","property":"brightness_white","endpoint":"white","access":7,"value_min":0,"value_max":254},
            {"type":"numeric","name":"color_temp","property":"color_temp_white","endpoint":"white","access":7,"value_min":158,"value_max":495}]}]}},
      {"friendly_name":"room1/panel","type":"Router","definition":{"vendor":"Tuya","model":"TS0505B",
        "exposes":[
          {"type":"light","endpoint":"l1","features":[{"type":"binary","name":"state","property":"state_l1","endpoint":"l1","access":7}]},
          {"type":"light","endpoint":"l2","features":[{"type":"binary","name":"state","property":"state_l2","endpoint":"l2","access":7},
            {"type":"numeric","name":"brightness","property":"brightness_l2","endpoint":"l2","access":7,"value_min":0,"value_max":254}]},
          {"type":"enum","name":"power_on_behavior","property":"power_on_behavior_l1","endpoint":"l1","access":7,
           "values":["off","on","toggle","previous"]},
          {"type":"enum","name":"power_on_behavior","property":"power_on_behavior_l2","endpoint":"l2","access":7,
           "values":["off","on","toggle","previous"]}]}},
      {"friendly_name":"room1/bulb","type":"Router","definition":{"vendor":"IKEA","model":"LED2003G10",
        "exposes":[{"type":"light","features":[{"type":"binary","name":"state","property":"state","access":7},
            {"type":"numeric","name":"brightness","property":"brightness","access":7,"value_min":0,"value_max":254},
            {"type":"numeric","name":"color_temp","property":"color_temp","access":7,"value_min":250,"value_max":454}]},
          {"type":"enum","name":"power_on_behavior","property":"power_on_behavior","access":7,"values":["off","on","toggle","previous"]}]}}
    ])");
    Problems problems("bridge/devices");
    const Json lights = lights_from_z2m_devices(devices, "zigbee2mqtt", problems);
    REQUIRE(lights.size() == 5);
    CHECK(lights[0]["id"] == "room1-strip-rgb");
    CHECK(lights[0]["endpoint"] == "rgb");
    CHECK(lights[0]["color"] == true);
    CHECK(lights[0]["kelvin"] == false);
    CHECK(lights[1]["id"] == "room1-strip-white");
    CHECK(lights[1]["kelvin"] == Json::array({2020, 6329}));
    CHECK(lights[2]["endpoint"] == "l1");
    CHECK(lights[2]["brightness"] == false);
    CHECK(lights[3]["endpoint"] == "l2");
    CHECK(lights[3]["topic"] == "zigbee2mqtt/room1/panel");
    CHECK_FALSE(lights[4].contains("endpoint"));
    CHECK(lights[4]["quirks"] ==
          Json::array({kQuirkOneTransition})); // discovery knows the IKEA quirk
    CHECK_FALSE(problems.has_errors());

    // They load back, and each endpoint is reached with its own keys.
    Problems rp("room.json");
    auto room = load_room_config(
        Json{{"room", "r"}, {"mqtt", {{"url", "mqtt://127.0.0.1:1883"}}}, {"lights", lights}}, rp);
    REQUIRE(room.has_value());
    const Json l2 = Json::parse(encode_light(room->lights[3], ct(0.5, 2700), 2s).at(0).payload);
    CHECK(l2["state_l2"] == "ON");
    CHECK(l2["brightness_l2"] == device_brightness(0.5, 254));
    CHECK(l2["transition"] == 2.0); // a message option, never suffixed
    CHECK_FALSE(l2.contains("state"));
    const Json white = Json::parse(encode_light(room->lights[1], ct(0.5, 2700), 0s).at(0).payload);
    CHECK(white.contains("color_temp_white"));
    CHECK(white.contains("brightness_white"));

    // power_on_behavior: per endpoint where the device has endpoints; lights without it are named.
    std::vector<std::string> cannot;
    Problems pp("bridge/devices");
    const auto targets = z2m_power_on_targets(devices, "zigbee2mqtt", cannot, pp);
    REQUIRE(targets.size() == 2);
    CHECK(targets[0].friendly_name == "room1/panel");
    CHECK(targets[0].properties ==
          std::vector<std::string>{"power_on_behavior_l1", "power_on_behavior_l2"});
    CHECK(targets[0].values == std::vector<std::string>{"off", "on", "toggle", "previous"});
    CHECK(targets[1].properties == std::vector<std::string>{"power_on_behavior"});
    CHECK(cannot == std::vector<std::string>{"room1/strip"});
}

TEST_CASE("discovery refuses what is not a devices array") {
    for (const char* text : {R"({"devices":[]})", R"("zigbee2mqtt")", "42", "null"}) {
        CAPTURE(text);
        Problems p("bridge/devices");
        CHECK(lights_from_z2m_devices(Json::parse(text), "z", p).empty());
        CHECK(p.has_errors());
    }
}
