// Fuzz target: payloads the room subscribes to over MQTT: light availability (string and
// Zigbee2MQTT 2.0 JSON), bridge/devices for discovery, and cmd/ACTION through the bridge.
#include "control/mqtt_bridge.hpp"
#include "devices/light_dialects.hpp"
#include "devices/z2m_discovery.hpp"

#include <cstdint>

using namespace stillroom;

namespace {

struct NullLink final : MqttLink {
    std::vector<MessageHandler> handlers;
    void on_message(MessageHandler h) override { handlers.push_back(std::move(h)); }
    void on_connect(std::function<void()>) override {}
    void subscribe(const std::string&, int) override {}
    void ignore_retained(const std::string&) override {}
    bool publish(const std::string&, const std::string&, int, bool) override { return true; }
    bool connected() const override { return true; }
};

struct NullRoom final : RoomControl {
    Json state() const override { return Json::object(); }
    Json timeline() const override { return nullptr; }
    Json summary() const override { return nullptr; }
    CommandResult start(const StartRequest&) override { return {true, 200, "", {}}; }
    CommandResult command(const Command&) override { return {true, 200, "", {}}; }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string payload(reinterpret_cast<const char*>(data), size);
    (void)parse_availability(payload);
    Problems problems("bridge/devices");
    if (auto json = parse_json_text(payload, problems))
        (void)lights_from_z2m_devices(*json, "zigbee2mqtt", problems);
    static NullLink link;
    static NullRoom room;
    static SteadyDeviceClock clock;
    static MqttBridge* bridge = [] {
        auto* b = new MqttBridge({"stillroom/fuzz", "fuzz", "Fuzz", true, {}}, link, room, clock);
        b->start();
        return b;
    }();
    for (auto& h : link.handlers)
        h("stillroom/fuzz/cmd/" + std::string(size % 2 ? "start" : "volume"), payload);
    (void)bridge;
    return 0;
}
