// Publishes a template's `mqtt` cues: QoS 1, not retained unless the cue says "retain": true.
// Cues are events, not state: nothing is published again on reconcile.
#pragma once

#include "devices/mqtt_client.hpp"
#include "engine/room_driver.hpp"

#include <atomic>

namespace stillroom {

class MqttCueDriver final : public RoomDriver {
public:
    // `anonymous`: the connection has no username (health says so: anyone on the broker
    // could then send this room commands).
    explicit MqttCueDriver(MqttLink& mqtt, bool anonymous = false)
        : mqtt_(mqtt), anonymous_(anonymous) {}
    std::string name() const override { return "mqtt cues"; }
    // Runs on: the engine thread. publish() only queues, so this driver needs no inbox of its
    // own: the client runs libmosquitto threaded (mosquitto_threaded_set), and then
    // packet__queue appends the packet and wakes the network thread without writing to the
    // socket (eclipse/mosquitto lib/packet_mosq.c, "threaded == mosq_ts_none").
    void apply(const Effect& effect, MonoTime at) override;
    void reconcile(const DesiredState&, MonoTime) override {}
    Json health() const override;

private:
    MqttLink& mqtt_;
    bool anonymous_ = false;
    std::atomic<std::uint64_t> published_{0}, failed_{0};
};

} // namespace stillroom
