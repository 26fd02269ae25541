// `stillroom devices prepare` against a real mosquitto on loopback and a fake Zigbee2MQTT
// that answers like Z2M: retained bridge/devices, and a device's new state published on
// base/NAME after a `set` (zigbee2mqtt lib/extension/publish.ts publishes the converter's
// returned state). Devices written from zigbee-herdsman-converters src/lib/modernExtend.ts
// (power_on_behavior values off/on/toggle/previous, per endpoint) and src/lib/exposes.ts.
#include "../unit/temp_dir.hpp"
#include "process.hpp"

#include "app/cli.hpp"
#include "app/commands.hpp"
#include "devices/mqtt_client.hpp"
#include "engine/json_reader.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

using namespace stillroom;
using namespace stillroom::test;

namespace {

constexpr const char* kDevices = R"([
  {"friendly_name":"Coordinator","type":"Coordinator"},
  {"friendly_name":"room1/panel","type":"Router","definition":{"vendor":"Tuya","model":"TS0505B","exposes":[
    {"type":"light","endpoint":"l1","features":[{"type":"binary","name":"state","property":"state_l1","endpoint":"l1","access":7}]},
    {"type":"light","endpoint":"l2","features":[{"type":"binary","name":"state","property":"state_l2","endpoint":"l2","access":7}]},
    {"type":"enum","name":"power_on_behavior","property":"power_on_behavior_l1","endpoint":"l1","access":7,"values":["off","on","toggle","previous"]},
    {"type":"enum","name":"power_on_behavior","property":"power_on_behavior_l2","endpoint":"l2","access":7,"values":["off","on","toggle","previous"]}]}},
  {"friendly_name":"bulb","type":"Router","definition":{"vendor":"IKEA","model":"LED2003G10","exposes":[
    {"type":"light","features":[{"type":"binary","name":"state","property":"state","access":7}]},
    {"type":"enum","name":"power_on_behavior","property":"power_on_behavior","access":7,"values":["off","on","toggle","previous"]}]}},
  {"friendly_name":"old strip","type":"Router","definition":{"vendor":"Gledopto","model":"GL-C-008","exposes":[
    {"type":"light","features":[{"type":"binary","name":"state","property":"state","access":7}]}]}},
  {"friendly_name":"silent","type":"Router","definition":{"vendor":"Tuya","model":"X","exposes":[
    {"type":"light","features":[{"type":"binary","name":"state","property":"state","access":7}]},
    {"type":"enum","name":"power_on_behavior","property":"power_on_behavior","access":7,"values":["off","on","previous"]}]}}
])";

// Answers `set` like Z2M: merges the set keys into the device's state and publishes it.
// "silent" never answers (a device that dropped off the network).
class FakeZ2m {
public:
    explicit FakeZ2m(int port) {
        MqttOptions o;
        o.host = "127.0.0.1";
        o.port = port;
        o.client_id = "fake-z2m";
        client_ = std::make_unique<MqttClient>(o, clock_);
        client_->subscribe("zigbee2mqtt/#");
        client_->on_message([this](const std::string& topic, const std::string& payload) {
            const std::string suffix = "/set";
            if (topic.size() <= suffix.size() ||
                topic.compare(topic.size() - suffix.size(), suffix.size(), suffix) != 0)
                return;
            const std::string device = topic.substr(0, topic.size() - suffix.size());
            if (device == "zigbee2mqtt/silent") return;
            Json set = Json::parse(payload, nullptr, false);
            if (!set.is_object()) return;
            std::lock_guard lock(mutex_);
            ++sets_;
            Json& state = states_[device];
            if (!state.is_object()) state = {{"state", "ON"}, {"linkquality", 120}};
            for (const auto& [k, v] : set.items())
                state[k] = v;
            client_->publish(device, dump_json(state), 1, false);
        });
    }
    bool start() {
        std::string error;
        if (!client_->start(&error)) return false;
        for (int i = 0; i < 100 && !client_->connected(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return client_->connected() &&
               client_->publish("zigbee2mqtt/bridge/devices", kDevices, 1, true);
    }
    int sets() {
        std::lock_guard lock(mutex_);
        return sets_;
    }
    Json state(const std::string& device) {
        std::lock_guard lock(mutex_);
        return states_[device];
    }
    ~FakeZ2m() { client_->stop(); }

private:
    SteadyDeviceClock clock_;
    std::unique_ptr<MqttClient> client_;
    std::mutex mutex_;
    std::map<std::string, Json> states_;
    int sets_ = 0;
};

int run_prepare(int port, const std::string& power_on, std::string& out) {
    cli::Args args;
    args.positional = {"prepare"};
    args.options["--url"] = "mqtt://127.0.0.1:" + std::to_string(port);
    args.options["--timeout"] = "3";
    if (!power_on.empty()) args.options["--power-on"] = power_on;
    std::ostringstream captured;
    auto* old = std::cout.rdbuf(captured.rdbuf());
    const int rc = app::cmd_devices(args);
    std::cout.rdbuf(old);
    out = captured.str();
    return rc;
}

} // namespace

TEST_CASE("devices prepare sets power_on_behavior through a real broker and names the lights that "
          "cannot") {
    TempDir dir;
    const int port = free_loopback_port();
    Broker broker(dir.path.string(), port);
    REQUIRE(broker.start());
    FakeZ2m z2m(port);
    REQUIRE(z2m.start());

    std::string out;
    const int rc = run_prepare(port, "", out);
    INFO(out);
    CHECK(rc == 1); // "silent" did not confirm
    CHECK(out.find("room1/panel: comes back \"previous\"") != std::string::npos);
    CHECK(out.find("bulb: comes back \"previous\"") != std::string::npos);
    CHECK(out.find("old strip: cannot be set (no power_on_behavior)") != std::string::npos);
    CHECK(out.find("silent: no confirmation within 3 s") != std::string::npos);
    // Every endpoint got its own key, with the default value.
    const Json panel = z2m.state("zigbee2mqtt/room1/panel");
    CHECK(panel["power_on_behavior_l1"] == "previous");
    CHECK(panel["power_on_behavior_l2"] == "previous");
    CHECK_FALSE(panel.contains("power_on_behavior"));
    CHECK(z2m.state("zigbee2mqtt/bulb")["power_on_behavior"] == "previous");

    // A value a device does not accept is reported, not sent.
    const int before = z2m.sets();
    CHECK(run_prepare(port, "toggle", out) == cli::kUsage);
    CHECK(z2m.sets() == before);
    CHECK(run_prepare(port, "off", out) == 1);
    CHECK(z2m.state("zigbee2mqtt/bulb")["power_on_behavior"] == "off");
}
