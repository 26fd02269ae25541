// The engine on MQTT (DESIGN.md): BASE/status (online retained, offline as the last will),
// BASE/state (the state JSON, retained, on every change), BASE/cmd/ACTION for every session
// and audio action, BASE/result with each command's outcome, and Home Assistant discovery
// (sensors, buttons, a template select), re-sent when homeassistant/status says online.
#pragma once

#include "control/room_control.hpp"
#include "devices/mqtt_client.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace stillroom {

struct MqttBridgeOptions {
    std::string base_topic;     // "stillroom/room-1"
    std::string room_id;
    std::string room_name;
    bool homeassistant = false;
    std::vector<std::pair<std::string, std::string>> templates; // id, name (for the select)
};

class MqttBridge {
public:
    MqttBridge(MqttBridgeOptions options, MqttLink& mqtt, RoomControl& room);
    ~MqttBridge();
    void start();
    void stop();
    // Called on every state change (possibly under the room's lock): queues the newest
    // state for publishing; never blocks.
    void publish_state(const Json& state);
    // The discovery messages (topic, payload), for tests and docs.
    std::vector<std::pair<std::string, std::string>> discovery_messages() const;
    std::uint64_t commands_handled() const { return handled_.load(); }

private:
    void worker();
    void handle_command(const std::string& action, const std::string& payload);
    void announce();

    MqttBridgeOptions options_;
    MqttLink& mqtt_;
    RoomControl& room_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::pair<std::string, std::string>> incoming_; // action, payload
    std::optional<Json> pending_state_;
    bool announce_ = false;
    bool running_ = false;
    std::thread thread_;
    std::atomic<std::uint64_t> handled_{0};
};

// The state as published on MQTT: the API state without vital signs.
Json mqtt_state(Json state);

} // namespace stillroom
