// The room's monitors on MQTT (room.json "vitals"): subscribes to each source's topic through
// the room's MQTT link, decodes each payload (engine/vitals_decode.hpp) and hands the reading
// on. A bad payload is dropped, counted and logged at most once a minute per source; nothing
// here waits for the room. It publishes nothing: vital signs never go onto MQTT.
#pragma once

#include "devices/mqtt_link.hpp"
#include "engine/clock.hpp"
#include "engine/room_driver.hpp"
#include "library/room_vitals.hpp"

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <ostream>

namespace stillroom {

class VitalsDriver final : public RoomDriver {
public:
    // source id, the decoded payload, whether it is a spot measurement. Runs on: the MQTT
    // network thread; must only queue (Room::vitals_reading does).
    using Sink = std::function<void(const std::string&, VitalsPayload, bool)>;

    VitalsDriver(VitalsConfig config, MqttLink& mqtt, DeviceClock& clock, Sink sink,
                 std::ostream& log);
    std::string name() const override { return "vitals"; }
    void apply(const Effect&, MonoTime) override {}
    void reconcile(const DesiredState&, MonoTime) override {}
    // {"ok", "detail", "received", "dropped"}. Runs on: any thread.
    Json health() const override;

    // One message from the broker. Public for the unit tests. Runs on: the network thread.
    void on_message(const std::string& topic, const std::string& payload);

private:
    VitalsConfig config_;
    DeviceClock& clock_;
    Sink sink_;
    std::ostream& log_;
    std::map<std::string, std::size_t> by_topic_; // topic -> index into config_.sources
    std::atomic<std::uint64_t> received_{0}, dropped_{0};
    mutable std::mutex log_mutex_;
    std::map<std::string, DeviceTime> last_logged_; // source -> last "dropped" log line
    std::map<std::string, std::uint64_t> unlogged_; // drops since that line
};

} // namespace stillroom
