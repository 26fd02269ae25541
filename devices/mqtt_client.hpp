// The one RAII wrapper of libmosquitto (STYLE.md habit 7): an MQTT 3.1.1/5 client with a
// last will, username/password, TLS with a CA file, and reconnection on its own network
// thread: every 0.5 s doubling to at most 2 s, whether the broker went away or was never
// there (a room box that boots before its broker connects within 2 s of it appearing).
// Given the brokers of a cluster, every failed or lost connection moves on to the next
// broker in the list. Subscriptions are remembered and made again on every connect; once
// the broker has acknowledged them all (CONNACK and every SUBACK: the handshake) the client
// is connected() and the connect listeners re-announce and re-assert.
//
// Nothing is queued across a disconnect: publish() refuses while the connection is down,
// and every reconnection starts from a fresh handle (mosquitto_reinitialise), so QoS 1
// messages that were in flight when the broker died are not replayed minutes later. The
// session is clean (MQTT 3.1.1 clean session; MQTT 5 clean start, session expiry 0), so the
// broker keeps nothing for us either. What must hold after a reconnect is said again by the
// connect listeners (state, discovery, the lights' desired state).
// Every connection sets TCP_NODELAY: a command's reply otherwise waits ~40 ms for the
// peer's delayed acknowledgement (Nagle); bench/bench_mqtt_rtt.cpp measures it.
//
// Callbacks run on the network thread and must not block: they only queue work.
#pragma once

#include "devices/mqtt_link.hpp"
#include "engine/clock.hpp"
#include "engine/log_budget.hpp"

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
    // A broker that stops answering (frozen, or its machine gone without a TCP reset) is
    // given up after at most twice this (a PINGREQ after keepalive_s of silence, then as
    // long again for its answer), and the next broker of the cluster is tried.
    int keepalive_s = 5;    // libmosquitto refuses less than 5 (MOSQ_ERR_INVAL)
    int protocol = 311;     // 311 or 5
    std::string will_topic; // empty: no will
    std::string will_payload;
    std::size_t max_payload = 64 * 1024; // larger incoming payloads are dropped (and counted)
    // MQTT 5: CONNECT carries Maximum Packet Size (max_payload plus room for the topic and
    // properties), so the broker never sends a larger packet at all.
    bool tcp_nodelay = true;  // off only for the benchmark's "before" column
    std::string bind_address; // the local address to connect from ("" = any; tests' strangers)
    // The liveness probe: libmosquitto's keepalive cannot go under 5 s, so a frozen broker
    // (SIGSTOP, a stuck VM) would be noticed only after about 10 s. With a probe topic the
    // client subscribes to it, and when nothing has come from the broker for probe_quiet it
    // publishes a QoS 0 message there; when nothing at all (the echo, any message, a
    // SUBACK) has come back probe_timeout later, the broker is given up and the
    // next one of the cluster tried at once: a freeze is noticed within probe_quiet +
    // probe_timeout (5 s); that broker is then skipped for 30 s while another is listed
    // (its kernel still accepts connections). The probe starts only once the broker has
    // acknowledged that subscription (a node still waiting for its frozen peer holds new
    // subscriptions). Empty: no probe (keepalive only).
    std::string probe_topic;
    Ms probe_quiet{3000};
    Ms probe_timeout{2000};
    // The handshake deadline: a connection whose CONNACK and the SUBACKs of its
    // subscriptions have not all arrived within this is given up (with a DISCONNECT, so the
    // broker drops our will when it gets to it) and a fresh one made at once to the next
    // broker. A broker that sent no CONNACK is treated as frozen (skipped for 30 s while
    // another is listed). Why: a RabbitMQ 3.10 node whose peer just froze holds a SUBSCRIBE
    // for a client id that was on that peer until about 7 s after it declared the peer down,
    // while a new connection made after that is served at once (docs/clinic.md). Publishing
    // and the connect listeners wait for the handshake, so nothing is said on a connection
    // that may be given up. Zero: no deadline (libmosquitto's keepalive only).
    Ms handshake_timeout{0};
};

// The packet size announced in CONNECT for `max_payload` (MQTT 5 Maximum Packet Size).
std::size_t mqtt_max_packet_size(std::size_t max_payload);

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
    // True when no username is configured: the broker let us in without credentials.
    bool anonymous() const { return options_.username.empty(); }
    bool tls() const { return options_.tls; }
    // Publishes refused because the connection was down (nothing waits for a reconnect).
    std::uint64_t dropped_offline() const { return dropped_offline_.load(); }
    std::uint64_t published() const { return published_.load(); }
    std::uint64_t acknowledged() const { return acknowledged_.load(); }
    std::uint64_t dropped_oversized() const { return oversized_.load(); }
    std::string last_error() const;
    // "host:port" of the broker in use (or being tried), and how many times it changed.
    std::string broker() const;
    std::uint64_t failovers() const { return failovers_.load(); }
    // Connections given up because the liveness probe went unanswered.
    std::uint64_t probe_timeouts() const { return probe_timeouts_.load(); }
    // Connections given up because their handshake missed options.handshake_timeout.
    std::uint64_t handshake_timeouts() const { return handshake_timeouts_.load(); }

    // Internal: called from the library's C callbacks.
    void handle_connect(int rc);
    void handle_disconnect(int rc);
    void handle_message(const char* topic, const void* payload, int length, bool retained);
    std::uint64_t ignored_retained() const { return ignored_retained_.load(); }
    void handle_publish();
    void handle_subscribe(int mid);

private:
    MqttOptions options_;
    void* mosq_ = nullptr; // struct mosquitto*
    std::mutex mutex_;
    std::vector<std::pair<std::string, int>> subscriptions_;
    std::vector<MessageHandler> handlers_;
    std::vector<std::function<void()>> connect_listeners_;
    std::atomic<bool> connected_{false}; // the handshake is complete: publish, listeners ran
    std::atomic<bool> session_{false};   // CONNACK arrived on this connection
    std::atomic<bool> started_{false};
    std::atomic<std::uint64_t> published_{0}, acknowledged_{0}, oversized_{0}, ignored_retained_{0},
        failovers_{0}, dropped_offline_{0};
    std::atomic<std::size_t> broker_index_{0}; // 0: host/port, i > 0: fallbacks[i - 1]
    std::vector<std::string> no_retained_;
    void network_loop(bool connecting);
    bool configure(void* m, std::string* error); // options and callbacks on a (new) handle
    int connect_to(const std::string& host, int port);
    std::mutex handle_mutex_; // publish/subscribe from any thread vs the handle's renewal
    std::thread network_;
    std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    DeviceClock& clock_;
    Wakeup wakeup_; // ends the network thread's pause between reconnects
    bool stopping_ = false;
    bool leaving_ = false;
    mutable std::mutex error_mutex_;
    std::string last_error_;
    LogBudget log_budget_; // ignored messages: a bounded rate of log lines
    // The liveness probe (network thread, but inbound_ms_ from every callback).
    std::atomic<std::int64_t> inbound_ms_{0}; // the device clock when the broker last spoke
    std::atomic<int> probe_mid_{-1};          // the probe subscription's message id
    std::atomic<bool> probe_armed_{false};    // its SUBACK arrived on this connection
    std::int64_t probe_sent_ms_ = -1;         // the probe waiting for an answer, or -1
    std::atomic<std::uint64_t> probe_timeouts_{0};
    bool frozen_ = false;          // the probe gave up broker frozen_index_ (network thread)
    std::size_t frozen_index_ = 0; // skipped until frozen_until_ while another is listed
    DeviceTime frozen_until_{};
    // The handshake deadline (network thread).
    std::int64_t handshake_start_ms_ = -1; // the connection's start, or -1 once complete
    std::vector<int> handshake_mids_;      // the SUBSCRIBEs of handle_connect not yet acknowledged
    std::atomic<std::uint64_t> handshake_timeouts_{0};
    void handshake_complete(); // connected: the connect listeners run
    // Runs on: the network thread. False: the handshake missed its deadline and the
    // connection was given up. Lowers *wait_ms to the time left.
    bool handshake(int* wait_ms);
    void abandon(); // a DISCONNECT (no will) and the socket closed; reconnect follows
    // Gives up the current broker (for `frozen`: skipped for kFrozenSkip while another is
    // listed): `error` for health, `log` after "broker HOST:PORT " in the log, then abandon().
    void give_up(bool frozen, const std::string& error, const std::string& log);
    void heard_from_broker() { inbound_ms_ = clock_.now().time_since_epoch().count(); }
    // Runs on: the network thread after each loop turn. False: the broker is given up. Sets
    // *wait_ms to how long the next loop turn may wait.
    bool probe(int* wait_ms);
};

// Splits "mqtt://host:port" style settings into options (room.json's mqtt section).
struct MqttConfig;
MqttOptions mqtt_options_from(const MqttConfig& config, const std::string& library_dir,
                              std::string* error);

} // namespace stillroom
