// The engine on MQTT.
#include "control/mqtt_bridge.hpp"

#include <cctype>
#include <iostream>

namespace stillroom {

namespace {

constexpr std::size_t kMaxQueuedCommands = 64; // a flood is dropped, not queued forever

std::string node_id(const std::string& room) {
    std::string out;
    for (char c : room) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return out.empty() ? "room" : out;
}

} // namespace

MqttBridge::MqttBridge(MqttBridgeOptions options, MqttLink& mqtt, RoomControl& room)
    : options_(std::move(options)), mqtt_(mqtt), room_(room) {
    const std::string cmd_prefix = options_.base_topic + "/cmd/";
    mqtt_.subscribe(cmd_prefix + "+");
    mqtt_.ignore_retained(cmd_prefix + "+"); // a retained command would fire again on every reconnect
    if (options_.homeassistant) mqtt_.subscribe("homeassistant/status");
    mqtt_.subscribe(kClinicStatusPattern);
    mqtt_.on_message([this, cmd_prefix](const std::string& topic, const std::string& payload) {
        // Runs on: the network thread. Queue and return.
        std::lock_guard lock(mutex_);
        if (topic.rfind(cmd_prefix, 0) == 0) {
            if (incoming_.size() >= kMaxQueuedCommands) {
                std::cerr << "stillroom: mqtt: command queue full; dropped " << topic << std::endl;
                return;
            }
            incoming_.emplace_back(topic.substr(cmd_prefix.size()), payload);
        } else if (topic == "homeassistant/status") {
            if (payload == "online") announce_ = true;
        } else if (topic.rfind("stillroom-clinic/", 0) == 0) {
            if (payload == "online") republish_ = true; // an overview (re)started: tell it everything
        } else {
            return;
        }
        cv_.notify_one();
    });
    mqtt_.on_connect([this] {
        std::lock_guard lock(mutex_);
        announce_ = true; // status, state and discovery again on every connect
        cv_.notify_one();
    });
}

MqttBridge::~MqttBridge() { stop(); }

void MqttBridge::start() {
    {
        std::lock_guard lock(mutex_);
        if (running_) return;
        running_ = true;
    }
    thread_ = std::thread([this] { worker(); });
}

void MqttBridge::stop() {
    {
        std::lock_guard lock(mutex_);
        if (!running_) return;
        running_ = false;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

Json mqtt_state(Json state) {
    // Vital signs are for the therapist's screen, never for the room's other systems.
    if (state.contains("session") && state["session"].is_object()) {
        state["session"].erase("vitals"); // the readings stay on the tablet; the overview
                                          // sees only vitals_flagged (a reading outside the
                                          // template's thresholds)
        state["session"].erase("summary");
    }
    return state;
}

void MqttBridge::publish_state(const Json& state) {
    std::lock_guard lock(mutex_);
    pending_state_ = state;
    cv_.notify_one();
}

std::vector<std::pair<std::string, std::string>> MqttBridge::discovery_messages() const {
    const std::string node = node_id(options_.room_id);
    const std::string base = options_.base_topic;
    const Json device = {{"identifiers", Json::array({"stillroom-" + node})},
                         {"name", "Stillroom " + options_.room_name},
                         {"manufacturer", "Stillroom"},
                         {"model", "room controller"}};
    auto common = [&](const std::string& object, const std::string& name) {
        return Json{{"name", name},
                    {"unique_id", "stillroom_" + node + "_" + object},
                    {"object_id", "stillroom_" + node + "_" + object},
                    {"availability_topic", base + "/status"},
                    {"device", device}};
    };
    std::vector<std::pair<std::string, std::string>> out;
    auto sensor = [&](const std::string& object, const std::string& name, const std::string& tmpl, const char* unit) {
        Json j = common(object, name);
        j["state_topic"] = base + "/state";
        j["value_template"] = tmpl;
        if (unit) j["unit_of_measurement"] = unit;
        out.emplace_back("homeassistant/sensor/" + node + "/" + object + "/config", dump_json(j));
    };
    sensor("phase", "Phase", "{{ value_json.session.phase.name if value_json.session else 'idle' }}", nullptr);
    sensor("since_dose", "Time since dose",
           "{{ (value_json.session.since_dose / 60) | round(0) if value_json.session and "
           "value_json.session.since_dose is not none else none }}",
           "min");
    sensor("now_playing", "Now playing",
           "{{ value_json.session.now_playing.title if value_json.session and value_json.session.now_playing else '' }}",
           nullptr);
    for (const auto& [action, name] : std::vector<std::pair<std::string, std::string>>{
             {"comfort", "Comfort"}, {"lights-up", "Lights up"}, {"next", "Next phase"}, {"hold", "Hold"}, {"resume", "Resume"}}) {
        std::string object = action;
        for (char& c : object)
            if (c == '-') c = '_';
        Json j = common(object, name);
        j["command_topic"] = base + "/cmd/" + action;
        j["payload_press"] = "{}";
        out.emplace_back("homeassistant/button/" + node + "/" + object + "/config", dump_json(j));
    }
    Json select = common("template", "Session template");
    Json options = Json::array();
    for (const auto& [id, name] : options_.templates) options.push_back(id);
    select["options"] = options;
    select["command_topic"] = base + "/cmd/start";
    select["command_template"] = "{\"template\": \"{{ value }}\"}";
    select["state_topic"] = base + "/state";
    select["value_template"] = "{{ value_json.session.template if value_json.session else '" +
                               (options_.templates.empty() ? std::string{} : options_.templates.front().first) + "' }}";
    out.emplace_back("homeassistant/select/" + node + "/template/config", dump_json(select));
    return out;
}

void MqttBridge::announce() {
    mqtt_.publish(options_.base_topic + "/status", "online", 1, true);
    mqtt_.publish(options_.base_topic + "/state", dump_json(mqtt_state(room_.state())), 1, true);
    if (options_.homeassistant)
        for (const auto& [topic, payload] : discovery_messages()) mqtt_.publish(topic, payload, 1, true);
}

void MqttBridge::republish() {
    mqtt_.publish(options_.base_topic + "/status", "online", 1, true);
    mqtt_.publish(options_.base_topic + "/state", dump_json(mqtt_state(room_.state())), 1, true);
    republished_.fetch_add(1);
}

void MqttBridge::handle_command(const std::string& action, const std::string& payload) {
    Json result = {{"action", action}};
    Json args = Json::object();
    if (!payload.empty()) {
        Problems p;
        auto parsed = parse_json_text(payload, p);
        if (!parsed) {
            result["ok"] = false;
            result["error"] = "the payload is not JSON: " + p.to_string();
            mqtt_.publish(options_.base_topic + "/result", dump_json(result), 1, false);
            std::cerr << "stillroom: mqtt: cmd/" << action << ": payload is not JSON" << std::endl;
            return;
        }
        args = *parsed;
    }
    Problems problems("cmd/" + action);
    CommandResult r;
    if (action == "start") {
        auto req = parse_start_request(args, problems);
        r = req ? room_.start(*req) : CommandResult{false, 400, problems.to_string(), {}};
    } else if (action == "library") {
        // From the clinic overview: one library file for this room (a running session keeps
        // its own snapshot; the change applies to the next one).
        const bool shaped = args.is_object() && args.contains("kind") && args["kind"].is_string() &&
                            args.contains("name") && args["name"].is_string() && args.contains("content") &&
                            args["content"].is_object();
        if (shaped) {
            result["kind"] = args["kind"];
            result["name"] = args["name"];
        }
        if (!library_put_) r = {false, 403, "library changes over MQTT are off in this room (room.json: mqtt.library_commands)", {}};
        else if (!shaped) r = {false, 400, "expected {\"kind\", \"name\", \"content\": {...}}", {}};
        else r = library_put_(args["kind"].get<std::string>(), args["name"].get<std::string>(), args["content"]);
    } else if (auto kind = command_kind_from_name(action); kind && *kind != CommandKind::TrackFailed) {
        auto cmd = parse_command(*kind, args, problems);
        r = cmd ? room_.command(*cmd) : CommandResult{false, 400, problems.to_string(), {}};
    } else {
        r = {false, 404, "unknown action \"" + action + "\"", {}};
    }
    result["ok"] = r.ok;
    if (!r.message.empty()) result[r.ok ? "note" : "error"] = r.message;
    mqtt_.publish(options_.base_topic + "/result", dump_json(result), 1, false);
    handled_.fetch_add(1);
}

void MqttBridge::worker() {
    // Runs on: the bridge's worker thread.
    std::unique_lock lock(mutex_);
    while (running_) {
        const bool woken = cv_.wait_for(lock, options_.republish_every, [&] {
            return !running_ || !incoming_.empty() || pending_state_ || announce_ || republish_;
        });
        if (!running_) break;
        if (!woken || republish_) { // the slow interval, or an overview asked
            republish_ = false;
            pending_state_.reset();
            lock.unlock();
            if (mqtt_.connected()) republish();
            lock.lock();
            continue;
        }
        if (announce_) {
            announce_ = false;
            pending_state_.reset();
            lock.unlock();
            announce();
            lock.lock();
            continue;
        }
        if (!incoming_.empty()) {
            auto [action, payload] = incoming_.front();
            incoming_.pop_front();
            lock.unlock();
            try {
                handle_command(action, payload);
            } catch (const std::exception& e) { // nothing from outside may end this thread
                std::cerr << "stillroom: mqtt: cmd/" << action << ": " << e.what() << std::endl;
            }
            lock.lock();
            continue;
        }
        if (pending_state_) {
            Json state = std::move(*pending_state_);
            pending_state_.reset();
            lock.unlock();
            mqtt_.publish(options_.base_topic + "/state", dump_json(mqtt_state(std::move(state))), 1, true);
            lock.lock();
        }
    }
}

} // namespace stillroom
