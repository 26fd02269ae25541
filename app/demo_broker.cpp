// The demo's broker and monitors (app/demo_broker.hpp).
#include "app/demo_broker.hpp"

#include "engine/json_reader.hpp"
#include "engine/problems.hpp"
#include "library/room_vitals.hpp"

namespace stillroom::app {

bool add_demo_broker(RoomConfig& room, const std::string& url, std::string* error) {
    // Read with room.json's own readers, so the demo's sections obey the same rules.
    Problems problems("--broker");
    if (!room.mqtt) {
        const Json mqtt = {{"url", url}};
        ObjectReader reader(mqtt, "mqtt", problems);
        auto config = read_mqtt(reader, room.room);
        reader.finish();
        if (!config || problems.has_errors()) {
            if (error) *error = problems.to_string();
            return false;
        }
        room.mqtt = std::move(config);
    }
    if (!room.vitals) {
        // A pulse oximeter bridged as JSON (as an ESPHome or Home Assistant bridge writes it)
        // and a cuff's Blood Pressure Measurement characteristic as hex (docs/vitals.md).
        const Json vitals = {
            {"sources",
             Json::array({{{"id", "oxi"},
                           {"topic", kDemoOximeterTopic},
                           {"format", "json"},
                           {"fields", {{"spo2", "SpO2"}, {"hr", "pulse.bpm"}}}},
                          {{"id", "cuff"}, {"topic", kDemoCuffTopic}, {"format", "ble-bps"}}})},
            {"stale_after", "10s"}};
        ObjectReader reader(vitals, "vitals", problems);
        auto config = read_vitals(reader);
        reader.finish();
        if (!config || problems.has_errors()) {
            if (error) *error = problems.to_string();
            return false;
        }
        room.vitals = std::move(config);
    }
    return true;
}

} // namespace stillroom::app
