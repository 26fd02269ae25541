// Home Assistant discovery payloads checked against what Home Assistant documents and
// validates, and the template select's arm-then-Start behaviour through the MQTT bridge.
//
// The expectations below are written from Home Assistant's own material:
//  - kAllowedKeys: the options each platform documents (home-assistant.io
//    source/_integrations/{sensor,button,switch,select}.mqtt.markdown) and the shared ones
//    in home-assistant/core homeassistant/components/mqtt/schemas.py
//    (MQTT_ENTITY_COMMON_SCHEMA, MQTT_ENTITY_DEVICE_INFO_SCHEMA, MQTT_ORIGIN_INFO_SCHEMA:
//    origin = {name: required, sw_version, support_url: http(s) URL});
//  - `object_id` is deprecated from HA 2025.10 and stops working in 2026.4; its
//    replacement `default_entity_id` carries the domain: HA logs "Replace the
//    `"object_id": "x"` option with `"default_entity_id": "sensor.x"`" (quoted in
//    home-assistant/addons #4240; home-assistant/core PR #151775);
//  - valid_entity_id(): home-assistant/core homeassistant/core.py, VALID_ENTITY_ID =
//    ^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$;
//  - topic node/object ids: [a-zA-Z0-9_-] (home-assistant.io/integrations/mqtt,
//    "Discovery topic");
//  - select: a payload outside `options` is refused, "None" means unknown
//    (homeassistant/components/mqtt/select.py); switch: state_on/state_off default to
//    payload_on/payload_off (homeassistant/components/mqtt/switch.py).
#include "fake_mqtt.hpp"
#include "test_support.hpp"

#include "control/ha_discovery.hpp"
#include "control/mqtt_bridge.hpp"
#include "engine/commands.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace stillroom;
using namespace stillroom::test;

namespace {

const std::set<std::string> kCommonKeys = {
    "name", "unique_id", "default_entity_id", "availability_topic", "device", "origin"};
const std::map<std::string, std::set<std::string>> kAllowedKeys = {
    {"sensor", {"state_topic", "value_template", "unit_of_measurement"}},
    {"button", {"command_topic", "payload_press"}},
    {"switch",
     {"command_topic", "payload_on", "payload_off", "state_topic", "value_template", "state_on",
      "state_off"}},
    {"select", {"command_topic", "command_template", "options", "state_topic", "value_template"}}};
const std::map<std::string, std::set<std::string>> kRequiredKeys = {
    {"sensor", {"state_topic"}},
    {"button", {"command_topic"}},
    {"switch", {"command_topic"}},
    {"select", {"command_topic", "options"}}};
const std::set<std::string> kDeviceKeys = {"identifiers", "name", "manufacturer", "model",
                                           "sw_version"};
const std::set<std::string> kOriginKeys = {"name", "sw_version", "support_url"};

// homeassistant/core.py valid_entity_id(), without lookarounds.
bool valid_slug(const std::string& s) {
    if (s.empty() || s.front() == '_' || s.back() == '_' || s.find("__") != std::string::npos)
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}
bool valid_entity_id(const std::string& id) {
    const auto dot = id.find('.');
    return dot != std::string::npos && valid_slug(id.substr(0, dot)) &&
           valid_slug(id.substr(dot + 1));
}
bool valid_topic_id(const std::string& s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    return true;
}

HaDiscoveryOptions options_for(const std::string& room) {
    return {"stillroom/" + room,          room, "Room", {{"im", "IM"}, {"oral", "Oral"}}, "1.2.3",
            "https://clinic.example/help"};
}

} // namespace

TEST_CASE("every discovery config uses only documented keys, an origin and default_entity_id, "
          "never object_id") {
    const auto messages = ha_discovery_messages(options_for("room-1"));
    REQUIRE(messages.size() == 10);
    for (const auto& m : messages) {
        CAPTURE(m.topic);
        // <prefix>/<component>/<node_id>/<object_id>/config
        const auto parts = [&] {
            std::vector<std::string> p;
            std::size_t at = 0;
            for (std::size_t next; (next = m.topic.find('/', at)) != std::string::npos;
                 at = next + 1)
                p.push_back(m.topic.substr(at, next - at));
            p.push_back(m.topic.substr(at));
            return p;
        }();
        REQUIRE(parts.size() == 5);
        CHECK(parts[0] == "homeassistant");
        CHECK(parts[2] == "room-1");
        CHECK(valid_topic_id(parts[2]));
        CHECK(valid_topic_id(parts[3]));
        CHECK(parts[4] == "config");
        const std::string component = parts[1];
        REQUIRE(kAllowedKeys.count(component));
        const Json j = Json::parse(m.payload);
        for (const auto& [key, value] : j.items()) {
            CAPTURE(key);
            CHECK((kCommonKeys.count(key) || kAllowedKeys.at(component).count(key)));
        }
        for (const auto& key : kRequiredKeys.at(component))
            CHECK(j.contains(key));
        CHECK_FALSE(j.contains("object_id"));
        const std::string entity_id = j["default_entity_id"];
        CHECK(valid_entity_id(entity_id));
        CHECK(entity_id.rfind(component + ".", 0) == 0);
        CHECK(entity_id == component + ".stillroom_room_1_" + parts[3]);
        CHECK(j["unique_id"] == "stillroom_room-1_" + parts[3]);
        for (const auto& [key, value] : j["device"].items())
            CHECK(kDeviceKeys.count(key));
        CHECK_FALSE(j["device"]["identifiers"].empty());
        for (const auto& [key, value] : j["origin"].items())
            CHECK(kOriginKeys.count(key));
        CHECK(j["origin"]["name"] == "Stillroom");
        CHECK(j["origin"]["sw_version"] == "1.2.3");
        CHECK(j["origin"]["support_url"] == "https://clinic.example/help");
        CHECK(j["availability_topic"] == "stillroom/room-1/status");
    }
    // Without a configured support page the optional key is left out, never sent empty.
    HaDiscoveryOptions o = options_for("room-1");
    o.support_url.clear();
    CHECK_FALSE(
        Json::parse(ha_discovery_messages(o).front().payload)["origin"].contains("support_url"));
}

TEST_CASE("Comfort and Lights up are switches whose on/off payloads are the engine's commands") {
    std::map<std::string, Json> by_topic;
    for (const auto& m : ha_discovery_messages(options_for("r1")))
        by_topic[m.topic] = Json::parse(m.payload);
    for (const auto& [object, action, key] :
         {std::tuple{"comfort", "comfort", CommandKind::Comfort},
          std::tuple{"lights_up", "lights-up", CommandKind::LightsUp}}) {
        CAPTURE(object);
        const Json& j = by_topic.at(std::string("homeassistant/switch/r1/") + object + "/config");
        CHECK(j["command_topic"] == std::string("stillroom/r1/cmd/") + action);
        CHECK(j["state_topic"] == "stillroom/r1/state");
        // JSON payloads, so the state HA compares against must be set apart from them.
        CHECK(j["state_on"] == "ON");
        CHECK(j["state_off"] == "OFF");
        for (const bool on : {true, false}) {
            Problems p("test");
            const auto cmd = parse_command(
                key, Json::parse(j[on ? "payload_on" : "payload_off"].get<std::string>()), p);
            REQUIRE(cmd);
            CHECK(cmd->on == on);
        }
        CHECK(j["value_template"].get<std::string>().find(std::string("value_json.session.") +
                                                          object) != std::string::npos);
    }
}

TEST_CASE("room ids that differ only in '-', '_' or case never share a topic, unique_id, entity id "
          "or device") {
    // Also rooms whose id plus an object could spell another room's id plus another object.
    const std::vector<std::string> rooms = {"room-1",   "room_1",  "Room-1",  "room--1",
                                            "room-1-",  "-room-1", "a",       "a_lights",
                                            "a-lights", "a_now",   "a_since", "_"};
    std::map<std::string, std::string> owner; // every id -> the room that announced it
    for (const auto& room : rooms) {
        CAPTURE(room);
        for (const auto& m : ha_discovery_messages(options_for(room))) {
            const Json j = Json::parse(m.payload);
            for (const std::string& id : {m.topic, j["unique_id"].get<std::string>(),
                                          j["default_entity_id"].get<std::string>()}) {
                CAPTURE(id);
                const auto [it, fresh] = owner.emplace(id, room);
                CHECK((fresh || it->second == room));
            }
            CHECK(valid_entity_id(j["default_entity_id"]));
            const std::string device = j["device"]["identifiers"][0];
            const auto [it, fresh] = owner.emplace("device:" + device, room);
            CHECK((fresh || it->second == room));
        }
    }
    // The common spelling stays readable; the others are told apart by a hash of the id.
    CHECK(ha_entity_slug("room-1") == "room_1");
    CHECK(ha_entity_slug("clinic-a-room-3") == "clinic_a_room_3");
    CHECK(ha_entity_slug("room_1").rfind("room_1_", 0) == 0);
    CHECK(ha_entity_slug("room_1") != ha_entity_slug("Room-1"));
    CHECK(valid_slug(ha_entity_slug("_")));
}

TEST_CASE("the template select shows no template when idle, the armed one, or the running one") {
    const Json idle = {{"session", nullptr}};
    CHECK(ha_template_option(idle, "") == kHaNoTemplate);
    CHECK(ha_template_option(idle, "im") == "im");
    const Json running = {{"session", {{"template", "oral"}, {"status", "running"}}}};
    CHECK(ha_template_option(running, "im") == "oral");
    const Json finished = {{"session", {{"template", "oral"}, {"status", "finished"}}}};
    CHECK(ha_template_option(finished, "") == kHaNoTemplate);
    // The idle option is an option (a state outside `options` would be refused by HA) and
    // is not HA's "None" (which HA reads as unknown).
    const Json select = Json::parse(ha_discovery_messages(options_for("r1")).back().payload);
    CHECK(select["options"][0] == kHaNoTemplate);
    CHECK(std::string(kHaNoTemplate) != "None");
}

namespace {

struct ScriptedRoom final : RoomControl {
    mutable std::mutex m;
    Json current = {{"session", nullptr}};
    std::vector<StartRequest> starts;
    Json state() const override {
        std::lock_guard lock(m);
        return current;
    }
    Json timeline() const override { return nullptr; }
    Json summary() const override { return nullptr; }
    CommandResult start(const StartRequest& r) override {
        std::lock_guard lock(m);
        if (!current["session"].is_null()) return {false, 409, "a session is already running", {}};
        starts.push_back(r);
        current["session"] = {
            {"template", r.template_id}, {"status", "running"}, {"comfort", false}};
        return {true, 200, "", {}};
    }
    CommandResult command(const Command&) override { return {true, 200, "", {}}; }
    // The bridge calls start() on its own thread: read what it recorded under the lock.
    std::vector<StartRequest> started() const {
        std::lock_guard lock(m);
        return starts;
    }
};

std::vector<FakeMqtt::Sent> on_topic(const std::vector<FakeMqtt::Sent>& sent,
                                     const std::string& topic) {
    std::vector<FakeMqtt::Sent> out;
    for (const auto& s : sent)
        if (s.topic == topic) out.push_back(s);
    return out;
}

} // namespace

TEST_CASE("the select arms a template; only Start session starts it, once; a running session "
          "cannot be re-chosen") {
    FakeMqtt mqtt;
    ScriptedRoom room;
    MqttBridgeOptions o{"stillroom/r1", "r1", "Room 1", true, {{"im", "IM"}, {"oral", "Oral"}},
                        "1.2.3",        ""};
    ManualDeviceClock device_clock;
    MqttBridge bridge(o, mqtt, room, device_clock);
    bridge.start();
    mqtt.connect();
    const std::string shown = "stillroom/r1/ha/template";
    auto last_shown = [&] {
        std::lock_guard lock(mqtt.mutex);
        const auto s = on_topic(mqtt.sent, shown);
        return s.empty() ? std::string{} : s.back().payload;
    };
    REQUIRE(soon([&] { return !last_shown().empty(); }));
    CHECK(last_shown() == kHaNoTemplate);
    CHECK(on_topic(mqtt.take(), shown).back().retain);
    // Retained arm/start messages (left on the broker by someone) must never act.
    CHECK(std::find(mqtt.no_retained.begin(), mqtt.no_retained.end(), "stillroom/r1/ha/start") !=
          mqtt.no_retained.end());
    CHECK(std::find(mqtt.no_retained.begin(), mqtt.no_retained.end(),
                    "stillroom/r1/ha/template/set") != mqtt.no_retained.end());

    // Start with nothing armed: refused, nothing starts.
    mqtt.deliver("stillroom/r1/ha/start", "PRESS");
    REQUIRE(soon([&] { return bridge.commands_handled() >= 1; }));
    CHECK(room.started().empty());
    // Choosing a template only arms it.
    mqtt.deliver("stillroom/r1/ha/template/set", "oral");
    REQUIRE(soon([&] { return last_shown() == "oral"; }));
    CHECK(room.started().empty());
    // An unknown template is refused and the select stays where it was.
    mqtt.deliver("stillroom/r1/ha/template/set", "nope");
    REQUIRE(soon([&] { return bridge.commands_handled() >= 3; }));
    CHECK(last_shown() == "oral");
    // Start starts the armed template, once.
    mqtt.deliver("stillroom/r1/ha/start", "PRESS");
    REQUIRE(soon([&] { return room.started().size() == 1; }));
    CHECK(room.started()[0].template_id == "oral");
    mqtt.deliver("stillroom/r1/ha/start", "PRESS");
    REQUIRE(soon([&] { return bridge.commands_handled() >= 5; }));
    CHECK(room.started().size() == 1);
    // While it runs, another choice is refused and the select shows the running template.
    mqtt.deliver("stillroom/r1/ha/template/set", "im");
    REQUIRE(soon([&] { return bridge.commands_handled() >= 6; }));
    CHECK(last_shown() == "oral");
    std::vector<Json> results;
    for (const auto& m : on_topic(mqtt.take(), "stillroom/r1/result"))
        results.push_back(Json::parse(m.payload));
    REQUIRE(results.size() == 6);
    CHECK(results[0]["ok"] == false);
    CHECK(results[0]["error"] == "choose a session template first");
    CHECK(results[1]["ok"] == true);
    CHECK(results[2]["ok"] == false);
    CHECK(results[3]["ok"] == true);
    CHECK(results[4]["ok"] == false);
    CHECK(results[5]["ok"] == false);
    // The session ends: the select goes back to no template (the arm was used up).
    {
        std::lock_guard lock(room.m);
        room.current["session"]["status"] = "finished";
    }
    bridge.publish_state(room.state());
    REQUIRE(soon([&] { return last_shown() == kHaNoTemplate; }));
    bridge.stop();
}

TEST_CASE("configs an earlier version announced are removed only when they are this room's") {
    FakeMqtt mqtt;
    ScriptedRoom room;
    // room-1 announced under node "room_1" before; a room called room_1 may own that node now.
    MqttBridgeOptions o{"stillroom/room-1", "room-1", "Room 1", true, {{"im", "IM"}}, "1.2.3", ""};
    ManualDeviceClock device_clock;
    MqttBridge bridge(o, mqtt, room, device_clock);
    const auto retired =
        ha_retired_config_topics({o.base_topic, o.room_id, o.room_name, o.templates, "", ""});
    const std::set<std::string> expect = {"homeassistant/sensor/room_1/phase/config",
                                          "homeassistant/sensor/room_1/since_dose/config",
                                          "homeassistant/sensor/room_1/now_playing/config",
                                          "homeassistant/button/room_1/comfort/config",
                                          "homeassistant/button/room_1/lights_up/config",
                                          "homeassistant/button/room_1/next/config",
                                          "homeassistant/button/room_1/hold/config",
                                          "homeassistant/button/room_1/resume/config",
                                          "homeassistant/select/room_1/template/config"};
    CHECK(std::set<std::string>(retired.begin(), retired.end()) == expect);
    for (const auto& t : expect)
        CHECK(std::find(mqtt.subscriptions.begin(), mqtt.subscriptions.end(), t) !=
              mqtt.subscriptions.end());
    bridge.start();
    mqtt.take();
    mqtt.deliver("homeassistant/sensor/room_1/phase/config",
                 R"({"availability_topic":"stillroom/room_1/status"})");
    mqtt.deliver("homeassistant/button/room_1/comfort/config",
                 R"({"availability_topic":"stillroom/room-1/status"})");
    mqtt.deliver("homeassistant/button/room_1/next/config", "");
    REQUIRE(soon([&] { return mqtt.count() >= 1; }));
    bridge.stop();
    const auto sent = mqtt.take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].topic == "homeassistant/button/room_1/comfort/config");
    CHECK(sent[0].payload.empty());
    CHECK(sent[0].retain);
}
