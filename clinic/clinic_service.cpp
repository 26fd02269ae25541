// The clinic overview process wired together.
#include "clinic/clinic_service.hpp"

#include <algorithm>
#include <iostream>

namespace stillroom {

namespace {

constexpr auto kTick = std::chrono::seconds(5);            // the page's list while sessions run
constexpr auto kDebounce = std::chrono::milliseconds(100); // a burst of states becomes one push

} // namespace

ClinicService::ClinicService(ClinicConfig config, DeviceClock& clock)
    : config_(std::move(config)), clock_(clock),
      overview_(OverviewOptions{config_.reminder_overdue, config_.max_rooms}) {
    std::string error;
    MqttOptions mo = mqtt_options_from(config_.mqtt, config_.dir.string(), &error);
    if (!error.empty()) std::cerr << "stillroom: clinic: " << error << "\n";
    const std::string announce = "stillroom-clinic/" + config_.clinic + "/status";
    mo.will_topic = announce;
    mo.will_payload = "offline";
    mo.max_payload = 256 * 1024; // a room's state
    // A frozen broker noticed in seconds, and a late handshake retried (docs/clinic.md).
    mo.probe_topic = "stillroom-clinic/" + config_.clinic + "/probe";
    mo.handshake_timeout = Ms{2000};
    mqtt_ = std::make_unique<MqttClient>(mo, clock_);
    mqtt_->subscribe(config_.rooms_topic + "/status");
    mqtt_->subscribe(config_.rooms_topic + "/state");
    mqtt_->subscribe(config_.rooms_topic + "/result"); // answers to library changes
    mqtt_->subscribe(config_.rooms_topic + "/heartbeat", 0);
    OverviewInboxOptions io;
    io.max_state_topics = std::max<std::size_t>(64, 2 * config_.max_rooms);
    inbox_ = std::make_unique<OverviewInbox>(
        [this](const std::string& topic, const std::string& payload) {
            // Runs on: the inbox's reader thread. The push is the ticker's.
            if (overview_.on_message(topic, payload, clock_.now())) {
                std::lock_guard lock(mutex_);
                changed_ = true;
                wakeup_.wake();
            }
        },
        io);
    mqtt_->on_message([this](const std::string& topic, const std::string& payload) {
        // Runs on: the MQTT network thread: filed, never parsed here.
        inbox_->offer(topic, payload);
    });
    mqtt_->on_connect([this, announce] {
        // Every (re)connect, to whichever broker: rooms answer with their status and state.
        mqtt_->publish(announce, "online", 1, true);
    });
    auth_ = std::make_unique<Auth>(config_.control.users, clock_);
    auth_->set_min_pin_digits(config_.control.min_pin_digits);
    ClinicServerOptions so;
    so.clinic_id = config_.clinic;
    so.clinic_name = config_.name;
    so.host = config_.control.host;
    so.port = config_.control.port;
    so.allowed_hosts = config_.control.hosts;
    if (config_.control.tls) {
        auto abs = [&](const std::string& p) {
            return std::filesystem::path(p).is_absolute() ? p : (config_.dir / p).string();
        };
        so.tls = std::pair{abs(config_.control.tls->first), abs(config_.control.tls->second)};
    }
    so.broker_status = [this] {
        return Json{{"connected", mqtt_->connected()},
                    {"broker", mqtt_->broker()},
                    {"anonymous", mqtt_->anonymous()},
                    {"tls", mqtt_->tls()}};
    };
    so.acknowledge = [this](const std::string& room, const std::string& alert,
                            const std::string& by) {
        const bool ok =
            overview_.acknowledge(room, alert, by, clock_.wall_unix_ms() / 1000, clock_.now());
        if (ok) {
            std::lock_guard lock(mutex_);
            changed_ = true;
            wakeup_.wake();
        }
        return ok;
    };
    so.push_library = [this](const std::string& kind, const std::string& name, const Json& content,
                             const std::vector<std::string>& rooms) {
        Json sent = Json::array(), unknown = Json::array();
        const Json all = overview_.rooms(clock_.now());
        const std::string payload =
            dump_json({{"kind", kind}, {"name", name}, {"content", content}});
        auto send = [&](const Json& room) {
            if (mqtt_->publish(room["base_topic"].get<std::string>() + "/cmd/library", payload, 1,
                               false))
                sent.push_back(room["room"]);
        };
        if (rooms.empty()) {
            for (const auto& r : all)
                send(r);
        } else {
            for (const auto& id : rooms) {
                bool found = false;
                for (const auto& r : all)
                    if (r["room"] == id) {
                        send(r);
                        found = true;
                    }
                if (!found) unknown.push_back(id);
            }
        }
        return Json{{"sent", sent}, {"unknown", unknown}};
    };
    server_ = std::make_unique<ClinicServer>(so, overview_, *auth_, events_, clock_);
}

ClinicService::~ClinicService() {
    stop();
}

std::optional<std::string> ClinicService::start() {
    std::string error;
    if (!server_->start(&error)) return error;
    inbox_->start();
    if (!mqtt_->start(&error)) std::cerr << "stillroom: clinic: mqtt: " << error << "\n";
    if (mqtt_->anonymous())
        std::cerr << "stillroom: clinic: mqtt: connecting ANONYMOUSLY (no mqtt.username): any "
                     "client on the broker can forge room states; see docs/security.md\n";
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
    }
    ticker_ = std::thread([this] { ticker(); });
    return std::nullopt;
}

void ClinicService::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || !ticker_.joinable()) return;
        stopping_ = true;
    }
    wakeup_.wake();
    ticker_.join();
    server_->stop();
    mqtt_->stop(); // publishes "offline" on the announce topic (a clean goodbye)
    inbox_->stop();
}

void ClinicService::ticker() {
    // Runs on: the clinic's ticker thread.
    std::unique_lock lock(mutex_);
    // Waits until `until`, or until `done` holds (checked under the lock).
    const auto wait = [&](DeviceTime until, const auto& done) {
        while (!done() && clock_.now() < until) {
            lock.unlock();
            clock_.wait_until(until, wakeup_);
            lock.lock();
        }
    };
    while (!stopping_) {
        wait(clock_.now() + kTick, [&] { return stopping_ || changed_; });
        if (stopping_) break;
        if (changed_) { // let a burst (every room answering an announce) settle
            wait(clock_.now() + kDebounce, [&] { return stopping_; });
            changed_ = false;
        }
        lock.unlock();
        events_.publish("state", server_->rooms_json());
        lock.lock();
    }
}

} // namespace stillroom
