// The one RAII wrapper of libmosquitto (STYLE.md habit 7): an MQTT 3.1.1/5 client with a
// last will, username/password, TLS with a CA file, and reconnection on its own network
// thread: every 0.5 s doubling to at most 2 s, whether the broker went away or was never
// there (a room box that boots before its broker connects within 2 s of it appearing).
// Given the brokers of a cluster, every failed or lost connection moves on to the next
// broker in the list. Subscriptions are remembered and made again on every connect;
// connect listeners re-announce and re-assert.
//
// Callbacks run on the network thread and must not block: they only queue work.
#pragma once

#include "devices/mqtt_link.hpp"
#include "engine/clock.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace stillroom {

struct MqttOptions {
    std::string host = "127.0.0.1";
    int port = 1883;
    // The other brokers of a cluster (host, port), tried in turn after `host` fails.
    std::vector<std::pair<std::string, int>> fallbacks;
    bool tls = false;
    std::string ca_file;
    std::string username;
    std::string password;
    std::string client_id = "stillroom";
    int keepalive_s = 15;
    int protocol = 311;     // 311 or 5
    std::string will_topic; // empty: no will
    std::string will_payload;
    std::size_t max_payload = 64 * 1024; // larger incoming payloads are dropped (and counted)
};

class MqttClient final : public MqttLink {
public:
    // `clock` (real time) paces reconnects and the goodbye at stop().
    MqttClient(MqttOptions options, DeviceClock& clock);
    ~MqttClient();
    MqttClient(const MqttClient&) = delete;
    MqttClient& operator=(const MqttClient&) = delete;

    void on_message(MessageHandler handler) override;
    void on_connect(std::function<void()> listener) override;
    void subscribe(const std::string& pattern, int qos = 1) override;
    void ignore_retained(const std::string& pattern) override;

    // Connects in the background; returns false only on a setup error (*error says why).
    bool start(std::string* error);
    void stop();

    // Queues a message (the library keeps QoS 1 messages until acknowledged). Any thread.
    bool publish(const std::string& topic, const std::string& payload, int qos,
                 bool retain) override;

    bool connected() const override { return connected_.load(); }
    std::uint64_t published() const { return published_.load(); }
    std::uint64_t acknowledged() const { return acknowledged_.load(); }
    std::uint64_t dropped_oversized() const { return oversized_.load(); }
    std::string last_error() const;
    // "host:port" of the broker in use (or being tried), and how many times it changed.
    std::string broker() const;
    std::uint64_t failovers() const { return failovers_.load(); }

    // Internal: called from the library's C callbacks.
    void handle_connect(int rc);
    void handle_disconnect(int rc);
    void handle_message(const char* topic, const void* payload, int length, bool retained);
    std::uint64_t ignored_retained() const { return ignored_retained_.load(); }
    void handle_publish();

private:
    MqttOptions options_;
    void* mosq_ = nullptr; // struct mosquitto*
    std::mutex mutex_;
    std::vector<std::pair<std::string, int>> subscriptions_;
    std::vector<MessageHandler> handlers_;
    std::vector<std::function<void()>> connect_listeners_;
    std::atomic<bool> connected_{false};
    std::atomic<bool> started_{false};
    std::atomic<std::uint64_t> published_{0}, acknowledged_{0}, oversized_{0}, ignored_retained_{0},
        failovers_{0};
    std::atomic<std::size_t> broker_index_{0}; // 0: host/port, i > 0: fallbacks[i - 1]
    std::vector<std::string> no_retained_;
    void network_loop(bool connecting);
    std::thread network_;
    std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    DeviceClock& clock_;
    Wakeup wakeup_; // ends the network thread's pause between reconnects
    bool stopping_ = false;
    bool leaving_ = false;
    mutable std::mutex error_mutex_;
    std::string last_error_;
};

// Splits "mqtt://host:port" style settings into options (room.json's mqtt section).
struct MqttConfig;
MqttOptions mqtt_options_from(const MqttConfig& config, const std::string& library_dir,
                              std::string* error);

} // namespace stillroom
