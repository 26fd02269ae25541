// Every Home Assistant control the room announces, pressed as Home Assistant presses it,
// acts in a real Room (runtime/room.hpp) behind the MQTT bridge (a fake broker: the
// production MqttLink interface).
//
// What Home Assistant publishes is taken from its documented schema defaults, applied to the
// config the bridge published, never from our own expectations:
//  - button (home-assistant.io source/_integrations/button.mqtt.markdown): a press publishes
//    `payload_press` (default "PRESS") to `command_topic`, retain default false; with a
//    `command_template` the payload would be rendered (we announce none; checked);
//  - switch (switch.mqtt.markdown): on publishes `payload_on` (default "ON"), off
//    `payload_off` (default "OFF");
//  - select (select.mqtt.markdown): choosing an option publishes the option itself to
//    `command_topic` when there is no `command_template`.
// So dropping `payload_press` from a button makes its press "PRESS", which the room must
// then be seen to refuse: this test fails.
#include "fake_mqtt.hpp"
#include "small_library.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

#include "control/mqtt_bridge.hpp"
#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <set>

using namespace stillroom;
using namespace stillroom::test;

namespace {

// What Home Assistant sends for one control: the topic and payload it publishes.
struct HaPublish {
    std::string topic, payload;
};

HaPublish ha_press(const Json& button) {
    REQUIRE_FALSE(button.contains("command_template")); // HA would render it: not modelled
    CHECK_FALSE(button.value("retain", false));         // a retained press would replay
    return {button["command_topic"], button.value("payload_press", "PRESS")};
}
HaPublish ha_switch(const Json& sw, bool on) {
    REQUIRE_FALSE(sw.contains("command_template"));
    return {sw["command_topic"],
            on ? sw.value("payload_on", "ON") : sw.value("payload_off", "OFF")};
}
HaPublish ha_select(const Json& select, const std::string& option) {
    REQUIRE_FALSE(select.contains("command_template"));
    return {select["command_topic"], option};
}

// The discovery configs the bridge published, by "component/object".
std::map<std::string, Json> configs_of(const std::vector<FakeMqtt::Sent>& sent) {
    std::map<std::string, Json> out;
    for (const auto& m : sent) {
        if (m.topic.rfind("homeassistant/", 0) != 0 || m.payload.empty()) continue;
        // homeassistant/<component>/<node>/<object>/config
        const auto c = m.topic.find('/') + 1;
        const auto n = m.topic.find('/', c) + 1;
        const auto o = m.topic.find('/', n) + 1;
        const auto end = m.topic.find('/', o);
        out[m.topic.substr(c, n - 1 - c) + "/" + m.topic.substr(o, end - o)] =
            Json::parse(m.payload);
    }
    return out;
}

const char* kTwoPhases = R"({"name":"S","phases":[
    {"id":"a","until":"therapist","duration":"20m"},
    {"id":"b","until":"therapist","duration":"20m"}]})";

} // namespace

TEST_CASE("Home Assistant: each discovered button, switch and the select, sent as HA sends it, "
          "acts in the room") {
    TempDir dir;
    ManualClock clock;
    Room room(write_small_library(dir.path / "lib", kTwoPhases), dir.path / "state", clock);
    FakeMqtt mqtt;
    ManualDeviceClock device_clock;
    MqttBridge bridge({"stillroom/r", "r", "Room", true, {{"s", "S"}}, "1.2.3", ""}, mqtt, room,
                      device_clock);
    bridge.start();
    mqtt.connect(); // the bridge announces its discovery configs
    std::map<std::string, Json> configs;
    REQUIRE(soon([&] {
        std::lock_guard lock(mqtt.mutex);
        configs = configs_of(mqtt.sent);
        return configs.size() == 10;
    }));
    mqtt.take();

    auto session = [&] { return room.state()["session"]; };
    // Sends what HA would and returns the room's answer on its result topic (waits for it).
    auto send = [&](const HaPublish& p) {
        CAPTURE(p.topic);
        CAPTURE(p.payload);
        mqtt.deliver(p.topic, p.payload);
        Json result;
        REQUIRE(soon([&] {
            for (const auto& m : mqtt.take())
                if (m.topic == "stillroom/r/result") result = Json::parse(m.payload);
            return !result.is_null();
        }));
        return result;
    };

    // Each button: what the room must have done after its press. In this order, because each
    // needs the one before (Start needs the select's choice; Resume needs Hold).
    struct ButtonCase {
        const char* object;
        std::function<bool(const Json&)> acted; // on the session state after the press
    };
    const std::vector<ButtonCase> buttons = {
        {"start", [](const Json& s) { return s.is_object() && s["status"] == "running"; }},
        {"next", [](const Json& s) { return s["phase"]["id"] == "b"; }},
        {"hold", [](const Json& s) { return s["held"] == true; }},
        {"resume", [](const Json& s) { return s["held"] == false; }},
    };
    std::set<std::string> announced;
    for (const auto& [key, config] : configs)
        if (key.rfind("button/", 0) == 0) announced.insert(key.substr(7));
    std::set<std::string> tested;
    for (const auto& b : buttons)
        tested.insert(b.object);
    CHECK(announced == tested); // a new button needs its row here

    // The select arms the template Start will start (HA publishes the option itself).
    CHECK(send(ha_select(configs.at("select/template"), "s"))["ok"] == true);
    CHECK(session().is_null());
    for (const auto& b : buttons) {
        const std::string button = b.object;
        CAPTURE(button);
        const HaPublish press = ha_press(configs.at(std::string("button/") + b.object));
        const Json result = send(press);
        INFO("the room answered: " << result.dump());
        CHECK(result["ok"] == true);
        CHECK(b.acted(session()));
    }

    // The switches: on, then off, each as HA sends it.
    for (const char* sw : {"comfort", "lights_up"}) {
        const std::string name = sw;
        CAPTURE(name);
        const Json& config = configs.at(std::string("switch/") + sw);
        CHECK(send(ha_switch(config, true))["ok"] == true);
        CHECK(session()[sw] == true);
        CHECK(send(ha_switch(config, false))["ok"] == true);
        CHECK(session()[sw] == false);
    }
    bridge.stop();
}

TEST_CASE("Home Assistant: a button press without the payload the config announces is refused") {
    // The other side: what HA would send for a button whose config lost its payload_press
    // ("PRESS") is not a command the room runs, so the test above depends on the config.
    TempDir dir;
    ManualClock clock;
    Room room(write_small_library(dir.path / "lib", kTwoPhases), dir.path / "state", clock);
    REQUIRE(room.start({"s", ""}).ok);
    FakeMqtt mqtt;
    ManualDeviceClock device_clock;
    MqttBridge bridge({"stillroom/r", "r", "Room", true, {{"s", "S"}}, "1.2.3", ""}, mqtt, room,
                      device_clock);
    bridge.start();
    mqtt.connect();
    REQUIRE(soon([&] { return mqtt.count() > 0; }));
    mqtt.take();
    mqtt.deliver("stillroom/r/cmd/next", "PRESS");
    Json result; // soon() asks once more after the answer: keep what was taken
    REQUIRE(soon([&] {
        for (const auto& m : mqtt.take())
            if (m.topic == "stillroom/r/result") result = Json::parse(m.payload);
        return !result.is_null();
    }));
    CHECK(result["ok"] == false);
    CHECK(result["error"].get<std::string>().rfind("the payload is not JSON", 0) == 0);
    CHECK(room.state()["session"]["phase"]["id"] == "a");
    bridge.stop();
}
