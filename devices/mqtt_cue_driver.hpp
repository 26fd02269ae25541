// Publishes a template's `mqtt` cues: QoS 1, not retained unless the cue says "retain": true.
// Cues are events, not state: nothing is published again on reconcile.
#pragma once

#include "devices/mqtt_client.hpp"
#include "engine/room_driver.hpp"

#include <atomic>

namespace stillroom {

class MqttCueDriver final : public RoomDriver {
public:
    explicit MqttCueDriver(MqttLink& mqtt) : mqtt_(mqtt) {}
    std::string name() const override { return "mqtt cues"; }
    // Runs on: the engine thread. publish() only queues.
    void apply(const Effect& effect, MonoTime at) override;
    void reconcile(const DesiredState&, MonoTime) override {}
    Json health() const override;

private:
    MqttLink& mqtt_;
    std::atomic<std::uint64_t> published_{0}, failed_{0};
};

} // namespace stillroom
