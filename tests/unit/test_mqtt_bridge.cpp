// The engine's MQTT bridge with a fake link and a fake room: commands, results, discovery,
// and payloads that once crashed it (found by fuzzing).
#include "fake_mqtt.hpp"
#include "test_support.hpp"

#include "control/mqtt_bridge.hpp"

#include <doctest/doctest.h>

#include <set>

#include <chrono>
#include <thread>

using namespace stillroom;
using namespace stillroom::test;

namespace {

struct FakeRoom final : RoomControl {
    std::vector<Command> commands;
    std::vector<StartRequest> starts;
    Json state() const override { return {{"session", nullptr}}; }
    Json timeline() const override { return nullptr; }
    Json summary() const override { return nullptr; }
    CommandResult start(const StartRequest& r) override {
        starts.push_back(r);
        return {true, 200, "", {}};
    }
    CommandResult command(const Command& c) override {
        commands.push_back(c);
        return {c.kind != CommandKind::Next,
                c.kind == CommandKind::Next ? 409 : 200,
                c.kind == CommandKind::Next ? "phase \"settle\" ends when the dose is marked" : "",
                {}};
    }
};

} // namespace

TEST_CASE("the MQTT bridge: commands in, results out, discovery, hostile payloads") {
    FakeMqtt mqtt;
    FakeRoom room;
    ManualDeviceClock device_clock;
    MqttBridge bridge({"stillroom/r1", "r1", "Room 1", true, {{"im", "IM"}}, "", ""}, mqtt, room,
                      device_clock);
    bridge.start();
    CHECK(std::find(mqtt.subscriptions.begin(), mqtt.subscriptions.end(), "stillroom/r1/cmd/+") !=
          mqtt.subscriptions.end());
    mqtt.connect(); // announce: status, state, discovery
    // Written out from Home Assistant's MQTT discovery topic format,
    // <prefix>/<component>/<node_id>/<object_id>/config (home-assistant.io/integrations/mqtt,
    // "Discovery topic"): three sensors, four buttons, two switches, the template select.
    const std::set<std::string> discovery_topics = {
        "homeassistant/sensor/r1/phase/config",       "homeassistant/sensor/r1/since_dose/config",
        "homeassistant/sensor/r1/now_playing/config", "homeassistant/switch/r1/comfort/config",
        "homeassistant/switch/r1/lights_up/config",   "homeassistant/button/r1/start/config",
        "homeassistant/button/r1/next/config",        "homeassistant/button/r1/hold/config",
        "homeassistant/button/r1/resume/config",      "homeassistant/select/r1/template/config"};
    REQUIRE(
        soon([&] { return mqtt.count() >= 3 + discovery_topics.size(); })); // + the select's state
    const auto announced = mqtt.take();
    CHECK(announced[0].topic == "stillroom/r1/status");
    CHECK(announced[0].payload == "online");
    CHECK(announced[0].retain);
    // What the broker received: every discovery config, retained, pointing at our topics.
    auto check_discovery = [&](const std::vector<FakeMqtt::Sent>& received) {
        std::set<std::string> seen;
        bool select = false;
        for (const auto& m : received) {
            if (m.topic.rfind("homeassistant/", 0) != 0 || m.payload.empty())
                continue; // "" removes a retired config
            CAPTURE(m.topic);
            seen.insert(m.topic);
            CHECK(m.retain);
            const Json j = Json::parse(m.payload);
            CHECK(j["availability_topic"] == "stillroom/r1/status");
            if (m.topic == "homeassistant/select/r1/template/config") {
                select = true;
                CHECK(j["options"] == Json::array({"(none)", "im"}));
                CHECK(j["command_topic"] == "stillroom/r1/ha/template/set"); // arms; never starts
            }
            if (m.topic == "homeassistant/switch/r1/lights_up/config")
                CHECK(j["command_topic"] == "stillroom/r1/cmd/lights-up");
        }
        CHECK(seen == discovery_topics);
        CHECK(select);
    };
    check_discovery(announced);

    mqtt.deliver("stillroom/r1/cmd/comfort", R"({"on":true})");
    mqtt.deliver("stillroom/r1/cmd/start", R"({"template":"im"})");
    mqtt.deliver("stillroom/r1/cmd/next", "");
    // Invalid UTF-8 in a payload, quoted back in the error: this used to end the worker.
    mqtt.deliver("stillroom/r1/cmd/start", std::string("[{\"\xe9\x9a\x9a\"}]"));
    mqtt.deliver("stillroom/r1/cmd/volume", std::string("{\"db\":\"\xff\xfe\"}"));
    mqtt.deliver("stillroom/r1/cmd/track-failed", R"({"file":"a.flac"})"); // drivers only
    REQUIRE(soon([&] { return mqtt.count() >= 6; }));
    CHECK(room.commands.size() == 2); // comfort, next
    CHECK(room.starts.size() == 1);
    std::vector<Json> results;
    for (const auto& m : mqtt.take())
        if (m.topic == "stillroom/r1/result") results.push_back(Json::parse(m.payload));
    REQUIRE(results.size() == 6);
    CHECK(results[0]["ok"] == true);
    CHECK(results[2]["error"] == "phase \"settle\" ends when the dose is marked");
    CHECK(results[3]["ok"] == false);
    CHECK(results[4]["ok"] == false);
    CHECK(results[5]["error"].get<std::string>().find("unknown action") != std::string::npos);

    // Home Assistant asks again: discovery again.
    mqtt.deliver("homeassistant/status", "online");
    REQUIRE(soon([&] { return mqtt.count() >= discovery_topics.size(); }));
    bridge.stop();
    check_discovery(mqtt.take());
}
