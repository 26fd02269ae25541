// A fake MQTT link implementing the production interface: records what is published and
// lets a test deliver messages and (re)connects by hand.
#pragma once

#include "devices/mqtt_client.hpp"

#include <mutex>
#include <utility>
#include <vector>

namespace stillroom::test {

class FakeMqtt final : public MqttLink {
public:
    struct Sent {
        std::string topic, payload;
        int qos;
        bool retain;
    };
    void on_message(MessageHandler h) override { handlers.push_back(std::move(h)); }
    void on_connect(std::function<void()> l) override { connect_listeners.push_back(std::move(l)); }
    void subscribe(const std::string& pattern, int) override { subscriptions.push_back(pattern); }
    void ignore_retained(const std::string& pattern) override { no_retained.push_back(pattern); }
    std::vector<std::string> no_retained;
    // Any thread (like the real client): the bridge publishes from its worker.
    bool publish(const std::string& topic, const std::string& payload, int qos,
                 bool retain) override {
        std::lock_guard lock(mutex);
        if (!is_connected) return false;
        sent.push_back({topic, payload, qos, retain});
        return true;
    }
    bool connected() const override { return is_connected; }

    void deliver(const std::string& topic, const std::string& payload) {
        for (auto& h : handlers)
            h(topic, payload);
    }
    void connect() {
        is_connected = true;
        for (auto& l : connect_listeners)
            l();
    }
    void disconnect() { is_connected = false; }
    std::vector<Sent> take() {
        std::lock_guard lock(mutex);
        return std::exchange(sent, {});
    }
    std::size_t count() {
        std::lock_guard lock(mutex);
        return sent.size();
    }

    std::mutex mutex;
    bool is_connected = true;
    std::vector<Sent> sent;
    std::vector<std::string> subscriptions;
    std::vector<MessageHandler> handlers;
    std::vector<std::function<void()>> connect_listeners;
};

} // namespace stillroom::test
