// What the room needs of an MQTT connection, as an interface only (no libmosquitto):
// devices/mqtt_client.hpp implements it; the control layer's bridge and the unit tests' fake
// use it without linking any device library.
#pragma once

#include <functional>
#include <string>

namespace stillroom {

// What drivers need of an MQTT connection; MqttClient implements it, tests fake it.
class MqttLink {
public:
    using MessageHandler =
        std::function<void(const std::string& topic, const std::string& payload)>;
    virtual ~MqttLink() = default;
    // Register before start(). Handlers run on the network thread and must not block.
    virtual void on_message(MessageHandler handler) = 0;
    virtual void on_connect(std::function<void()> listener) = 0;
    // Remembered and (re)subscribed on every connect. Any thread.
    virtual void subscribe(const std::string& pattern, int qos = 1) = 0;
    // Retained messages on topics matching `pattern` are ignored, with a log line (commands
    // must act once, not again on every reconnect). Register before start(). Any thread.
    virtual void ignore_retained(const std::string& pattern) = 0;
    // Queues a message. Any thread. Never blocks on the network.
    virtual bool publish(const std::string& topic, const std::string& payload, int qos,
                         bool retain) = 0;
    virtual bool connected() const = 0;
};

} // namespace stillroom
