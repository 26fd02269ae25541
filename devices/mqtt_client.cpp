// libmosquitto, wrapped once.
#include "devices/mqtt_client.hpp"

#include "library/room_config.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace stillroom {

namespace {

struct LibraryInit {
    LibraryInit() { mosquitto_lib_init(); }
    ~LibraryInit() { mosquitto_lib_cleanup(); }
};

void library_init() {
    static LibraryInit init;
}

// How long a broker the liveness probe gave up is skipped when another one is listed.
constexpr Ms kFrozenSkip{30'000};

MqttClient* self(void* obj) {
    return static_cast<MqttClient*>(obj);
}

} // namespace

MqttClient::MqttClient(MqttOptions options, DeviceClock& clock)
    : options_(std::move(options)), clock_(clock) {
    library_init();
}

MqttClient::~MqttClient() {
    stop();
}

void MqttClient::on_message(MessageHandler handler) {
    handlers_.push_back(std::move(handler));
}
void MqttClient::on_connect(std::function<void()> l) {
    connect_listeners_.push_back(std::move(l));
}

void MqttClient::subscribe(const std::string& pattern, int qos) {
    {
        std::lock_guard lock(mutex_);
        subscriptions_.emplace_back(pattern, qos);
    }
    if (mosq_ && session_.load()) { // else handle_connect makes it
        std::lock_guard lock(handle_mutex_);
        mosquitto_subscribe(static_cast<mosquitto*>(mosq_), nullptr, pattern.c_str(),
                            0); // see handle_connect
    }
}

void MqttClient::ignore_retained(const std::string& pattern) {
    std::lock_guard lock(mutex_);
    no_retained_.push_back(pattern);
}

std::string MqttClient::broker() const {
    const std::size_t i = broker_index_.load();
    if (i == 0 || i > options_.fallbacks.size())
        return options_.host + ":" + std::to_string(options_.port);
    const auto& [host, port] = options_.fallbacks[i - 1];
    return host + ":" + std::to_string(port);
}

std::string MqttClient::last_error() const {
    std::lock_guard lock(error_mutex_);
    return last_error_;
}

std::size_t mqtt_max_packet_size(std::size_t max_payload) {
    return max_payload + 4096; // fixed header, topic and properties
}

bool MqttClient::configure(void* handle, std::string* error) {
    auto* m = static_cast<mosquitto*>(handle);
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION,
                         options_.protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    // Replies leave at once instead of waiting for the broker's delayed ACK (Nagle).
    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, options_.tcp_nodelay ? 1 : 0);
    if (!options_.username.empty())
        mosquitto_username_pw_set(m, options_.username.c_str(),
                                  options_.password.empty() ? nullptr : options_.password.c_str());
    if (options_.tls) {
        const int rc = mosquitto_tls_set(
            m, options_.ca_file.empty() ? nullptr : options_.ca_file.c_str(),
            options_.ca_file.empty() ? "/etc/ssl/certs" : nullptr, nullptr, nullptr, nullptr);
        if (rc != MOSQ_ERR_SUCCESS) {
            if (error) *error = std::string("TLS: ") + mosquitto_strerror(rc);
            return false;
        }
    }
    if (!options_.will_topic.empty())
        mosquitto_will_set(m, options_.will_topic.c_str(),
                           static_cast<int>(options_.will_payload.size()),
                           options_.will_payload.data(), 1, true);
    mosquitto_threaded_set(m, true); // our own network thread below; publish() wakes it
    mosquitto_connect_callback_set(
        m, [](mosquitto*, void* obj, int rc) { self(obj)->handle_connect(rc); });
    mosquitto_disconnect_callback_set(
        m, [](mosquitto*, void* obj, int rc) { self(obj)->handle_disconnect(rc); });
    mosquitto_message_callback_set(m, [](mosquitto*, void* obj, const mosquitto_message* msg) {
        self(obj)->handle_message(msg->topic, msg->payload, msg->payloadlen, msg->retain);
    });
    mosquitto_publish_callback_set(m,
                                   [](mosquitto*, void* obj, int) { self(obj)->handle_publish(); });
    mosquitto_subscribe_callback_set(m, [](mosquitto*, void* obj, int mid, int, const int*) {
        self(obj)->handle_subscribe(mid);
    });
    return true;
}

int MqttClient::connect_to(const std::string& host, int port) {
    auto* m = static_cast<mosquitto*>(mosq_);
    // libmosquitto refuses a keepalive under 5 s (MOSQ_ERR_INVAL from every connect call).
    const int keepalive = std::max(options_.keepalive_s, 5);
    const char* bind = options_.bind_address.empty() ? nullptr : options_.bind_address.c_str();
    if (options_.protocol != 5)
        return mosquitto_connect_bind_async(m, host.c_str(), port, keepalive, bind);
    // MQTT 5: the broker must never send us more than we would keep. No session expiry
    // property: the session ends with the connection (nothing queued for us while away).
    mosquitto_property* props = nullptr;
    mosquitto_property_add_int32(
        &props, MQTT_PROP_MAXIMUM_PACKET_SIZE,
        static_cast<std::uint32_t>(mqtt_max_packet_size(options_.max_payload)));
    const int rc = mosquitto_connect_bind_v5(m, host.c_str(), port, keepalive, bind, props);
    mosquitto_property_free_all(&props);
    return rc;
}

bool MqttClient::start(std::string* error) {
    if (started_.exchange(true)) return true;
    auto* m = mosquitto_new(options_.client_id.c_str(), true, this); // clean session
    if (!m) {
        if (error) *error = "mosquitto_new failed";
        return false;
    }
    mosq_ = m;
    if (!configure(m, error)) return false;
    const int rc = connect_to(options_.host, options_.port);
    if (rc != MOSQ_ERR_SUCCESS) {
        // The broker is not there yet: the network loop keeps trying.
        std::lock_guard lock(error_mutex_);
        last_error_ = std::string("connect: ") + mosquitto_strerror(rc);
    }
    {
        std::lock_guard lock(stop_mutex_);
        stopping_ = leaving_ = false;
    }
    // Our own loop, not mosquitto_loop_start(): libmosquitto's thread never retries after a
    // connect_async that failed (broker down when the room starts), which left the lights
    // dead for the whole session.
    network_ = std::thread([this, ok = rc == MOSQ_ERR_SUCCESS] { network_loop(ok); });
    return true;
}

void MqttClient::network_loop(bool connecting) {
    // Runs on: the MQTT network thread.
    auto* m = static_cast<mosquitto*>(mosq_);
    constexpr int kFirstDelayMs = 500, kMaxDelayMs = 2000;
    int delay_ms = kFirstDelayMs;
    int wait_ms = 1000;
    bool have_socket = connecting;
    auto handshake_starts = [&] {
        handshake_start_ms_ = clock_.now().time_since_epoch().count();
        handshake_mids_.clear();
    };
    if (connecting) handshake_starts();
    auto pause = [&] { // false when stopping
        const DeviceTime until = clock_.now() + Ms{delay_ms};
        delay_ms = std::min(delay_ms * 2, kMaxDelayMs);
        for (;;) {
            {
                std::lock_guard lock(stop_mutex_);
                if (stopping_) return false;
            }
            if (clock_.now() >= until) return true;
            clock_.wait_until(until, wakeup_);
        }
    };
    for (;;) {
        {
            std::lock_guard lock(stop_mutex_);
            if (stopping_) break;
        }
        if (!have_socket) {
            {
                std::unique_lock lock(stop_mutex_);
                if (leaving_) {
                    stop_cv_.wait(lock, [&] { return stopping_; });
                    break;
                }
            }
            // A fresh handle: whatever was queued or in flight on the lost connection is
            // dropped here, never replayed late (the connect listeners say what holds now).
            {
                std::lock_guard lock(handle_mutex_);
                mosquitto_reinitialise(m, options_.client_id.c_str(), true, this);
                configure(m, nullptr);
            }
            std::size_t i = 0;
            if (!options_.fallbacks.empty()) {
                // A cluster: the next broker in turn (the one that failed is tried last).
                const std::size_t n = options_.fallbacks.size() + 1;
                i = (broker_index_.load() + 1) % n;
                // A broker the probe gave up is skipped for a while: it is frozen, and a TCP
                // connect to it still succeeds (its kernel answers) and then hangs.
                if (frozen_ && i == frozen_index_ && clock_.now() < frozen_until_) i = (i + 1) % n;
                broker_index_ = i;
                failovers_.fetch_add(1);
            }
            const std::string host = i == 0 ? options_.host : options_.fallbacks[i - 1].first;
            const int port = i == 0 ? options_.port : options_.fallbacks[i - 1].second;
            if (!options_.fallbacks.empty())
                std::cerr << "stillroom: mqtt: trying broker " << host << ":" << port << std::endl;
            const int rc = connect_to(host, port);
            if (rc != MOSQ_ERR_SUCCESS) {
                {
                    std::lock_guard lock(error_mutex_);
                    last_error_ = std::string("connect: ") + mosquitto_strerror(rc) + "; retrying";
                }
                if (!pause()) break;
                continue;
            }
            have_socket = true;
            handshake_starts();
        }
        // Up to 1 s in select(): a publish from another thread wakes it at once (libmosquitto's
        // socket pair), so a longer wait only saves wake-ups of an idle room (10/s at 100 ms).
        // Less when the liveness probe is due sooner.
        const int rc = mosquitto_loop(m, wait_ms, 1);
        if (rc == MOSQ_ERR_SUCCESS) {
            if (connected_.load()) delay_ms = kFirstDelayMs;
            // The broker is frozen (probe), or the handshake is late: on to the next one at once.
            if (!probe(&wait_ms) || !handshake(&wait_ms)) {
                have_socket = false;
                connected_ = false;
                session_ = false;
            }
            continue;
        }
        have_socket = false; // lost, refused or never made: reconnect after a pause
        connected_ = false;
        session_ = false;
        if (!pause()) break;
    }
}

void MqttClient::stop() {
    if (!started_.exchange(false)) return;
    auto* m = static_cast<mosquitto*>(mosq_);
    if (!m) return;
    if (connected_.load() && !options_.will_topic.empty()) {
        // A clean goodbye replaces the will: the room is offline on purpose.
        mosquitto_publish(m, nullptr, options_.will_topic.c_str(),
                          static_cast<int>(options_.will_payload.size()),
                          options_.will_payload.data(), 1, true);
    }
    {
        std::lock_guard lock(stop_mutex_);
        leaving_ = true; // the network thread no longer reconnects
    }
    if (connected_.load()) {
        mosquitto_disconnect(m);
        // The network thread sends the goodbye and the disconnect (at most 1 s).
        Wakeup never; // nothing ends these short waits early
        for (int i = 0; i < 50 && mosquitto_want_write(m); ++i)
            clock_.wait_until(clock_.now() + Ms{20}, never);
    }
    {
        std::lock_guard lock(stop_mutex_);
        stopping_ = true;
    }
    stop_cv_.notify_all();
    wakeup_.wake();
    if (network_.joinable()) network_.join();
    mosquitto_destroy(m);
    mosq_ = nullptr;
    connected_ = false;
}

bool MqttClient::publish(const std::string& topic, const std::string& payload, int qos,
                         bool retain) {
    auto* m = static_cast<mosquitto*>(mosq_);
    if (!m) return false;
    if (!connected_.load()) { // never queued for a later connection: it would arrive stale
        dropped_offline_.fetch_add(1);
        return false;
    }
    std::lock_guard lock(handle_mutex_);
    const int rc = mosquitto_publish(m, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                     payload.data(), qos, retain);
    if (rc == MOSQ_ERR_SUCCESS) {
        published_.fetch_add(1);
        return true;
    }
    return false;
}

void MqttClient::handle_connect(int rc) {
    // Runs on: the network thread.
    if (rc != 0) {
        // Refused again at every retry (wrong credentials): logged at the budget's rate.
        if (auto held = log_budget_.allow(clock_.now()))
            std::cerr << "stillroom: mqtt: broker " << broker()
                      << " refused the connection: " << mosquitto_connack_string(rc)
                      << (*held ? "; " + std::to_string(*held) + " more not logged" : std::string())
                      << std::endl;
        std::lock_guard lock(error_mutex_);
        last_error_ = std::string("connection refused: ") + mosquitto_connack_string(rc);
        handshake_start_ms_ = -1; // refused, not frozen: the loop pauses and retries
        return;
    }
    session_ = true;
    heard_from_broker();
    probe_armed_ = false; // until the broker acknowledges the probe's subscription
    probe_sent_ms_ = -1;
    std::vector<std::pair<std::string, int>> subs;
    {
        std::lock_guard lock(mutex_);
        subs = subscriptions_;
    }
    std::vector<std::string> no_retained;
    {
        std::lock_guard lock(mutex_);
        no_retained = no_retained_;
    }
    auto* m = static_cast<mosquitto*>(mosq_);
    for (auto [pattern, qos] : subs) {
        // QoS 0 subscriptions: nothing is kept for us across a disconnect anyway (clean
        // sessions), and RabbitMQ 3.10 puts a QoS 1 subscription in a *durable* queue homed
        // on the node we are connected to: after that node crashed, every reconnection to
        // the other node failed ("home node ... of durable queue
        // 'mqtt-subscription-IDqos1' ... is down"; tests/integration/test_clinic_cluster.cpp).
        qos = 0;
        // MQTT 5: keep the retain flag on live messages too, so a retained command (or the
        // empty message that clears one) is recognised as such and ignored.
        const bool flagged =
            options_.protocol == 5 &&
            std::find(no_retained.begin(), no_retained.end(), pattern) != no_retained.end();
        int mid = -1;
        const int src = flagged ? mosquitto_subscribe_v5(m, &mid, pattern.c_str(), qos,
                                                         MQTT_SUB_OPT_RETAIN_AS_PUBLISHED, nullptr)
                                : mosquitto_subscribe(m, &mid, pattern.c_str(), qos);
        if (src == MOSQ_ERR_SUCCESS) handshake_mids_.push_back(mid);
    }
    if (!options_.probe_topic.empty()) {
        int mid = -1;
        if (mosquitto_subscribe(m, &mid, options_.probe_topic.c_str(), 0) == MOSQ_ERR_SUCCESS) {
            probe_mid_ = mid;
            handshake_mids_.push_back(mid);
        }
    }
    // Connected once every SUBACK is in (handle_subscribe): the listeners' announcements then
    // go out on a connection that will not be given up for a late handshake.
    if (handshake_mids_.empty()) handshake_complete();
}

void MqttClient::handshake_complete() {
    // Runs on: the network thread.
    handshake_start_ms_ = -1;
    connected_ = true;
    {
        std::lock_guard lock(error_mutex_);
        last_error_.clear();
    }
    for (auto& l : connect_listeners_)
        l();
}

bool MqttClient::handshake(int* wait_ms) {
    // Runs on: the network thread, after each loop turn.
    const std::int64_t limit = options_.handshake_timeout.count();
    if (handshake_start_ms_ < 0 || limit <= 0) return true;
    const std::int64_t now = clock_.now().time_since_epoch().count();
    const std::int64_t left = handshake_start_ms_ + limit - now;
    if (left > 0) {
        *wait_ms = static_cast<int>(std::clamp<std::int64_t>(left, 10, *wait_ms));
        return true;
    }
    handshake_timeouts_.fetch_add(1);
    const bool answered = session_.load();
    const std::string what =
        answered ? std::to_string(handshake_mids_.size()) + " subscription(s) unacknowledged"
                 : std::string("no CONNACK");
    // No CONNACK: the broker answers nothing (frozen), skipped for a while.
    give_up(!answered,
            "broker " + broker() + " did not complete the handshake (" + what + "); trying again",
            "did not complete the handshake in " + std::to_string(now - handshake_start_ms_) +
                " ms (" + what + "); a new connection");
    handshake_start_ms_ = -1;
    return false;
}

void MqttClient::give_up(bool frozen, const std::string& error, const std::string& log) {
    // Runs on: the network thread.
    if (frozen) {
        frozen_ = true;
        frozen_index_ = broker_index_.load();
        frozen_until_ = clock_.now() + kFrozenSkip;
    }
    {
        std::lock_guard lock(error_mutex_);
        last_error_ = error;
    }
    std::cerr << "stillroom: mqtt: broker " << broker() << " " << log << std::endl;
    abandon();
}

void MqttClient::abandon() {
    // Runs on: the network thread. A DISCONNECT first: a broker that is only slow (or frozen,
    // and wakes later) reads it after whatever it is stuck on and drops our will, so no late
    // "offline" follows the announcement made on the next connection.
    auto* m = static_cast<mosquitto*>(mosq_);
    std::lock_guard lock(handle_mutex_);
    if (mosquitto_disconnect(m) == MOSQ_ERR_SUCCESS) mosquitto_loop_write(m, 1);
}

void MqttClient::handle_disconnect(int rc) {
    connected_ = false;
    session_ = false;
    if (rc != 0) {
        std::lock_guard lock(error_mutex_);
        if (last_error_.rfind("connection refused", 0) != 0) // keep the broker's reason
            last_error_ = "connection lost; reconnecting";
    }
}

void MqttClient::handle_message(const char* topic, const void* payload, int length, bool retained) {
    // Runs on: the network thread. Oversized payloads never reach a handler.
    heard_from_broker();
    if (topic && !options_.probe_topic.empty() && options_.probe_topic == topic)
        return; // the liveness probe's echo: the broker is alive
    if (retained && topic) {
        std::vector<std::string> patterns;
        {
            std::lock_guard lock(mutex_);
            patterns = no_retained_;
        }
        for (const auto& p : patterns) {
            bool match = false;
            if (mosquitto_topic_matches_sub(p.c_str(), topic, &match) == MOSQ_ERR_SUCCESS &&
                match) {
                ignored_retained_.fetch_add(1);
                if (auto held = log_budget_.allow(clock_.now()))
                    std::cerr << "stillroom: mqtt: ignored a retained message on " << topic
                              << " (commands are never retained; clear it with an empty "
                                 "retained message)"
                              << (*held ? "; " + std::to_string(*held) + " more not logged"
                                        : std::string())
                              << std::endl;
                return;
            }
        }
    }
    if (length < 0 || static_cast<std::size_t>(length) > options_.max_payload) {
        oversized_.fetch_add(1);
        if (auto held = log_budget_.allow(clock_.now()))
            std::cerr << "stillroom: mqtt: ignored a " << length << "-byte message on " << topic
                      << " (limit " << options_.max_payload << ")"
                      << (*held ? "; " + std::to_string(*held) + " more not logged" : std::string())
                      << std::endl;
        return;
    }
    const std::string t = topic ? topic : "";
    const std::string p(static_cast<const char*>(payload), static_cast<std::size_t>(length));
    for (auto& h : handlers_)
        h(t, p);
}

void MqttClient::handle_publish() {
    // Not a sign of life: libmosquitto calls this for a QoS 0 message once it is written.
    acknowledged_.fetch_add(1);
}

void MqttClient::handle_subscribe(int mid) {
    // Runs on: the network thread.
    heard_from_broker();
    if (mid == probe_mid_.load()) probe_armed_ = true;
    const auto it = std::find(handshake_mids_.begin(), handshake_mids_.end(), mid);
    if (it == handshake_mids_.end()) return; // a later subscribe()
    handshake_mids_.erase(it);
    if (handshake_mids_.empty() && session_.load() && !connected_.load()) handshake_complete();
}

bool MqttClient::probe(int* wait_ms) {
    // Runs on: the network thread, after each loop turn.
    static constexpr std::int64_t kMaxWaitMs = 1000;
    auto clamp_wait = [](std::int64_t ms) {
        return static_cast<int>(std::clamp<std::int64_t>(ms, 10, kMaxWaitMs));
    };
    *wait_ms = static_cast<int>(kMaxWaitMs);
    if (options_.probe_topic.empty() || !connected_.load() || !probe_armed_.load()) {
        probe_sent_ms_ = -1;
        return true;
    }
    const std::int64_t now = clock_.now().time_since_epoch().count();
    const std::int64_t heard = inbound_ms_.load();
    if (probe_sent_ms_ >= 0 && heard >= probe_sent_ms_) probe_sent_ms_ = -1; // answered
    if (probe_sent_ms_ >= 0) {
        const std::int64_t left = probe_sent_ms_ + options_.probe_timeout.count() - now;
        if (left > 0) {
            *wait_ms = clamp_wait(left);
            return true;
        }
        probe_sent_ms_ = -1;
        probe_timeouts_.fetch_add(1);
        give_up(true, "broker " + broker() + " stopped answering; trying the next",
                "answered nothing for " + std::to_string(now - heard) +
                    " ms (liveness probe); giving it up");
        return false;
    }
    const std::int64_t quiet_left = heard + options_.probe_quiet.count() - now;
    if (quiet_left > 0) {
        *wait_ms = clamp_wait(quiet_left);
        return true;
    }
    {
        std::lock_guard lock(handle_mutex_);
        mosquitto_publish(static_cast<mosquitto*>(mosq_), nullptr, options_.probe_topic.c_str(), 1,
                          "?", 0, false);
    }
    probe_sent_ms_ = now;
    *wait_ms = clamp_wait(options_.probe_timeout.count());
    return true;
}

MqttOptions mqtt_options_from(const MqttConfig& c, const std::string& library_dir,
                              std::string* error) {
    MqttOptions o;
    o.host = c.host;
    o.port = c.port;
    for (std::size_t i = 1; i < c.brokers.size(); ++i)
        o.fallbacks.emplace_back(c.brokers[i].host, c.brokers[i].port);
    o.tls = c.tls;
    o.client_id = c.client_id;
    o.username = c.username;
    o.protocol = c.protocol;
    o.will_topic = c.base_topic + "/status";
    o.will_payload = "offline";
    namespace fs = std::filesystem;
    auto resolve = [&](const std::string& p) {
        return fs::path(p).is_absolute() ? fs::path(p) : fs::path(library_dir) / p;
    };
    if (!c.ca_file.empty()) o.ca_file = resolve(c.ca_file).string();
    if (!c.password_file.empty()) {
        std::ifstream in(resolve(c.password_file));
        if (!in) {
            if (error)
                *error = "room.json: mqtt.password_file: cannot read " +
                         resolve(c.password_file).string();
        } else {
            std::getline(in, o.password);
            while (!o.password.empty() && (o.password.back() == '\r' || o.password.back() == ' '))
                o.password.pop_back();
        }
    }
    return o;
}

} // namespace stillroom
