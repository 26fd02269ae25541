// The engine on MQTT.
#include "control/mqtt_bridge.hpp"

#include "control/ha_discovery.hpp"
#include "engine/vitals_monitor.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <utility>

namespace stillroom {

namespace {

constexpr std::size_t kMaxQueuedCommands = 64; // a flood is dropped, not queued forever

#ifndef STILLROOM_VERSION
#define STILLROOM_VERSION "unknown"
#endif

HaDiscoveryOptions ha_options(const MqttBridgeOptions& o) {
    return {o.base_topic,
            o.room_id,
            o.room_name,
            o.templates,
            o.sw_version.empty() ? STILLROOM_VERSION : o.sw_version,
            o.support_url};
}

} // namespace

MqttBridge::MqttBridge(MqttBridgeOptions options, MqttLink& mqtt, RoomControl& room,
                       DeviceClock& clock)
    : options_(std::move(options)), mqtt_(mqtt), room_(room), clock_(clock) {
    const std::string cmd_prefix = options_.base_topic + "/cmd/";
    mqtt_.subscribe(cmd_prefix + "+");
    mqtt_.ignore_retained(cmd_prefix +
                          "+");         // a retained command would fire again on every reconnect
    std::vector<std::string> ha_topics; // the select and Start button; retired configs to check
    if (options_.homeassistant) {
        mqtt_.subscribe("homeassistant/status");
        ha_topics = {ha_template_set_topic(options_.base_topic),
                     ha_start_topic(options_.base_topic)};
        for (const auto& t : ha_topics) {
            mqtt_.subscribe(t);
            mqtt_.ignore_retained(t);
        }
        for (auto& t : ha_retired_config_topics(ha_options(options_))) {
            mqtt_.subscribe(t);
            ha_topics.push_back(std::move(t));
        }
    }
    mqtt_.subscribe(kClinicStatusPattern);
    mqtt_.on_message(
        [this, cmd_prefix, ha_topics](const std::string& topic, const std::string& payload) {
            // Runs on: the network thread. Queue and return.
            std::lock_guard lock(mutex_);
            if (topic.rfind(cmd_prefix, 0) == 0) {
                if (incoming_.size() >= kMaxQueuedCommands) {
                    ++queue_full_; // the worker logs and journals it, at a bounded rate
                    wakeup_.wake();
                    return;
                }
                incoming_.push_back({false, topic.substr(cmd_prefix.size()), payload});
            } else if (topic == "homeassistant/status") {
                if (payload == "online") announce_ = true;
            } else if (topic.rfind("stillroom-clinic/", 0) == 0) {
                if (payload == "online")
                    republish_ = true; // an overview (re)started: tell it everything
            } else if (std::find(ha_topics.begin(), ha_topics.end(), topic) != ha_topics.end()) {
                if (incoming_.size() >= kMaxQueuedCommands) return;
                incoming_.push_back({true, topic, payload});
            } else {
                return;
            }
            wakeup_.wake();
        });
    mqtt_.on_connect([this] {
        std::lock_guard lock(mutex_);
        announce_ = true; // status, state and discovery again on every connect
        wakeup_.wake();
    });
}

MqttBridge::~MqttBridge() {
    stop();
}

void MqttBridge::start() {
    {
        std::lock_guard lock(mutex_);
        if (running_) return;
        running_ = true;
        // Counted from start(), not from when the thread first runs.
        next_heartbeat_ = clock_.now() + options_.heartbeat_every;
        next_republish_ = clock_.now() + options_.republish_every;
    }
    thread_ = std::thread([this] { worker(); });
}

void MqttBridge::stop() {
    {
        std::lock_guard lock(mutex_);
        if (!running_) return;
        running_ = false;
    }
    wakeup_.wake();
    if (thread_.joinable()) thread_.join();
}

Json mqtt_state(Json state) {
    // Vital signs are for the therapist's screen, never for the room's other systems.
    if (state.contains("session") && state["session"].is_object()) {
        state["session"].erase("vitals"); // the readings stay on the tablet; the overview
                                          // sees only vitals_flagged (a reading outside the
                                          // template's thresholds)
        state["session"].erase("summary");
        // Live vitals never leave the tablet; the alerts go out as kind and priority only.
        state["session"].erase("vitals_live");
        state["session"].erase("vitals_trend");
        state["session"].erase("entries"); // the chart's clinical entries carry values too
        if (state["session"].contains("alerts"))
            state["session"]["alerts"] =
                VitalsMonitor::alerts_without_values(state["session"]["alerts"]);
    }
    return state;
}

void MqttBridge::publish_state(const Json& state) {
    std::lock_guard lock(mutex_);
    pending_state_ = state;
    wakeup_.wake();
}

std::vector<std::pair<std::string, std::string>> MqttBridge::discovery_messages() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& m : ha_discovery_messages(ha_options(options_)))
        out.emplace_back(std::move(m.topic), std::move(m.payload));
    return out;
}

void MqttBridge::announce() {
    const Json state = room_.state();
    republish(state);
    if (!options_.homeassistant) return;
    for (const auto& [topic, payload] : discovery_messages())
        mqtt_.publish(topic, payload, 1, true);
    publish_template_option(state, true);
}

void MqttBridge::publish_template_option(const Json& state, bool force) {
    // Runs on: the bridge's worker thread.
    if (!options_.homeassistant) return;
    const std::string option = ha_template_option(state, armed_);
    if (!force && option == shown_option_) return;
    shown_option_ = option;
    mqtt_.publish(ha_template_state_topic(options_.base_topic), option, 1, true);
}

void MqttBridge::handle_ha(const std::string& topic, const std::string& payload) {
    // Runs on: the bridge's worker thread.
    const std::string& base = options_.base_topic;
    if (topic != ha_template_set_topic(base) && topic != ha_start_topic(base)) {
        // A config an earlier version announced for this room: remove it from Home Assistant.
        if (ha_config_is_ours(payload, ha_options(options_))) mqtt_.publish(topic, "", 1, true);
        return;
    }
    const Json state = room_.state();
    const bool running = state.contains("session") && state["session"].is_object() &&
                         state["session"].value("status", "") != "finished";
    Json result = {{"action", topic.substr(base.size() + 1)}};
    auto fail = [&](const std::string& why) {
        result["ok"] = false;
        result["error"] = why;
    };
    if (topic == ha_template_set_topic(base)) {
        const bool known = std::any_of(options_.templates.begin(), options_.templates.end(),
                                       [&](const auto& t) { return t.first == payload; });
        if (running) {
            fail("a session is running; the template cannot change until it ends");
        } else if (!known && payload != kHaNoTemplate) {
            fail("no session template \"" + payload.substr(0, 64) + "\"");
        } else {
            armed_ = payload == kHaNoTemplate ? std::string{} : payload;
            result["ok"] = true;
            if (!armed_.empty()) result["note"] = "armed; Start session starts it";
        }
    } else if (armed_.empty()) {
        fail(running ? "a session is already running" : "choose a session template first");
    } else {
        const CommandResult r = room_.start({armed_, ""});
        result["ok"] = r.ok;
        if (!r.ok) result["error"] = r.message;
        if (r.ok) armed_.clear(); // a second press never starts another session
    }
    mqtt_.publish(base + "/result", dump_json(result), 1, false);
    publish_template_option(room_.state(), true); // a refused choice snaps back
    handled_.fetch_add(1);
}

void MqttBridge::republish(const Json& state) {
    mqtt_.publish(options_.base_topic + "/status", "online", 1, true);
    mqtt_.publish(options_.base_topic + "/state", dump_json(mqtt_state(state)), 1, true);
}

bool MqttBridge::expired_or_bad_time(Json& args, Json& result) {
    // Runs on: the bridge's worker thread. Takes "id" and "sent_at" out of the arguments
    // (the commands' own parsers refuse unknown keys); true when the command must not run.
    if (!args.is_object()) return false;
    if (args.contains("id")) {
        const Json& id = args["id"];
        if (id.is_string() || id.is_number_integer())
            result["id"] = id.is_string() ? Json(id.get<std::string>().substr(0, 64)) : id;
        args.erase("id");
    }
    if (!args.contains("sent_at")) return false; // no time: runs on arrival
    const Json sent = args["sent_at"];
    args.erase("sent_at");
    if (!sent.is_number()) {
        result["ok"] = false;
        result["error"] = "sent_at: expected Unix seconds (a number)";
        return true;
    }
    const double now_s = static_cast<double>(clock_.wall_unix_ms()) / 1000.0;
    const double age_s = now_s - sent.get<double>();
    const double max_s = static_cast<double>(options_.command_max_age.count()) / 1000.0;
    if (age_s > max_s) {
        result["ok"] = false;
        result["expired"] = true;
        result["age_s"] = std::round(age_s * 10.0) / 10.0;
        result["error"] = "expired: sent " + std::to_string(std::lround(age_s)) +
                          " s ago; commands older than " + std::to_string(std::lround(max_s)) +
                          " s are not executed";
        expired_.fetch_add(1);
        return true;
    }
    if (age_s < -max_s) {
        result["ok"] = false;
        result["error"] = "sent_at is " + std::to_string(std::lround(-age_s)) +
                          " s ahead of the room's clock; check the sender's clock";
        return true;
    }
    return false;
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
            note_refusal(RefusalKind{"not_json"}, action);
            return;
        }
        args = *parsed;
    }
    if (expired_or_bad_time(args, result)) {
        mqtt_.publish(options_.base_topic + "/result", dump_json(result), 1, false);
        note_refusal(RefusalKind{result.value("expired", false) ? "expired" : "bad_time"}, action);
        handled_.fetch_add(1);
        return;
    }
    Problems problems("cmd/" + action);
    CommandResult r;
    // Why a command was refused before the room's session saw it (the room journals its
    // own refusals); none when it ran or the session refused it.
    const char* kind = nullptr;
    if (action == "start") {
        auto req = parse_start_request(args, problems);
        r = req ? room_.start_by(*req, "mqtt")
                : CommandResult{false, 400, problems.to_string(), {}};
        kind = r.ok ? nullptr : req ? "refused" : "bad_input";
    } else if (action == "library") {
        // From the clinic overview: one library file for this room (a running session keeps
        // its own snapshot; the change applies to the next one).
        const bool shaped = args.is_object() && args.contains("kind") && args["kind"].is_string() &&
                            args.contains("name") && args["name"].is_string() &&
                            args.contains("content") && args["content"].is_object();
        if (shaped) {
            result["kind"] = args["kind"];
            result["name"] = args["name"];
        }
        if (!library_put_)
            r = {
                false,
                403,
                "library changes over MQTT are off in this room (room.json: mqtt.library_commands)",
                {}};
        else if (!shaped)
            r = {false, 400, "expected {\"kind\", \"name\", \"content\": {...}}", {}};
        else
            r = library_put_(args["kind"].get<std::string>(), args["name"].get<std::string>(),
                             args["content"]);
        if (!r.ok) kind = "library";
    } else if (auto command = command_kind_from_name(action);
               command && *command != CommandKind::TrackFailed) {
        auto cmd = parse_command(*command, args, problems);
        r = cmd ? room_.command_by(*cmd, "mqtt")
                : CommandResult{false, 400, problems.to_string(), {}};
        if (!cmd)
            kind = "bad_input";
        else if (!r.ok) { // the room journaled it (at a bounded rate)
            refused_.fetch_add(1);
            log_refusal("refused", action);
        }
    } else {
        r = {false, 404, "unknown action \"" + action.substr(0, 64) + "\"", {}};
        kind = "unknown_action";
    }
    if (kind) note_refusal(RefusalKind{kind}, action);
    result["ok"] = r.ok;
    if (!r.message.empty()) result[r.ok ? "note" : "error"] = r.message;
    mqtt_.publish(options_.base_topic + "/result", dump_json(result), 1, false);
    handled_.fetch_add(1);
}

std::string MqttBridge::safe_command_name(const std::string& action) {
    // A sender's topic may say anything: only the room's own command names are repeated.
    if (action == "start" || action == "library") return action;
    if (auto kind = command_kind_from_name(action)) return command_name(*kind);
    return "unknown";
}

void MqttBridge::log_refusal(const char* kind, const std::string& action, std::uint64_t count) {
    // Runs on: the bridge's worker thread. A bounded rate of lines (LogBudget).
    if (auto held = log_budget_.allow(clock_.now()))
        std::cerr << "stillroom: mqtt: refused " << count << " cmd/" << safe_command_name(action)
                  << " (" << kind << ")"
                  << (*held ? "; " + std::to_string(*held) + " more refusals not logged"
                            : std::string())
                  << std::endl;
}

void MqttBridge::note_refusal(RefusalKind kind, const std::string& action, std::uint64_t count) {
    // Runs on: the bridge's worker thread.
    refused_.fetch_add(count);
    log_refusal(kind.name, action, count);
    room_.journal_refusal("mqtt", kind.name, safe_command_name(action), count);
}

void MqttBridge::heartbeat() {
    // Runs on: the bridge's worker thread.
    const Json beat = {{"every_s", static_cast<double>(options_.heartbeat_every.count()) / 1000.0},
                       {"at", clock_.wall_unix_ms() / 1000}};
    if (mqtt_.publish(options_.base_topic + "/heartbeat", dump_json(beat), 0, false))
        heartbeats_.fetch_add(1);
}

void MqttBridge::worker() {
    // Runs on: the bridge's worker thread. A command waiting goes first (up to
    // kCommandBurst in a row while other work is due, so a command flood cannot silence the
    // heartbeat): a flood of overview announcements (each asks for status and state again)
    // is answered at most once per announce_gap and never holds a command back.
    constexpr int kCommandBurst = 8;
    int burst = 0;
    std::unique_lock lock(mutex_);
    const auto answer_due = [&] { return republish_ && clock_.now() >= next_answer_; };
    const auto ready = [&] {
        return !running_ || queue_full_ > 0 || !incoming_.empty() || pending_state_ || announce_ ||
               answer_due();
    };
    const auto deadline = [&] {
        DeviceTime d = std::min(next_republish_, next_heartbeat_);
        return republish_ ? std::min(d, next_answer_) : d;
    };
    while (running_) {
        while (!ready() && clock_.now() < deadline()) {
            const DeviceTime until = deadline();
            lock.unlock();
            clock_.wait_until(until, wakeup_);
            lock.lock();
        }
        if (!running_) break;
        if (queue_full_ > 0) {
            const std::uint64_t n = std::exchange(queue_full_, 0);
            lock.unlock();
            note_refusal(RefusalKind{"queue_full"}, "", n);
            lock.lock();
            continue;
        }
        const bool other_due = clock_.now() >= next_heartbeat_ || announce_ || answer_due() ||
                               clock_.now() >= next_republish_ || pending_state_;
        if (!incoming_.empty() && (burst < kCommandBurst || !other_due)) {
            ++burst;
            const Incoming in = std::move(incoming_.front());
            incoming_.pop_front();
            lock.unlock();
            try {
                if (in.ha)
                    handle_ha(in.key, in.payload);
                else
                    handle_command(in.key, in.payload);
            } catch (const std::exception& e) { // nothing from outside may end this thread
                std::cerr << "stillroom: mqtt: " << (in.ha ? "" : "cmd/") << in.key << ": "
                          << e.what() << std::endl;
            }
            lock.lock();
            continue;
        }
        burst = 0;
        if (clock_.now() >= next_heartbeat_) {
            next_heartbeat_ = clock_.now() + options_.heartbeat_every;
            lock.unlock();
            heartbeat();
            lock.lock();
            continue;
        }
        if (announce_) {
            announce_ = false;
            pending_state_.reset();
            lock.unlock();
            announce();
            next_republish_ = clock_.now() + options_.republish_every;
            lock.lock();
            continue;
        }
        if (answer_due() ||
            clock_.now() >= next_republish_) { // an overview asked, or the slow interval
            next_republish_ = clock_.now() + options_.republish_every;
            if (republish_) next_answer_ = clock_.now() + options_.announce_gap;
            republish_ = false;
            pending_state_.reset();
            lock.unlock();
            if (mqtt_.connected()) {
                republish(room_.state());
                republished_.fetch_add(1);
            }
            lock.lock();
            continue;
        }
        if (pending_state_) {
            Json state = std::move(*pending_state_);
            pending_state_.reset();
            lock.unlock();
            publish_template_option(state, false);
            mqtt_.publish(options_.base_topic + "/state", dump_json(mqtt_state(std::move(state))),
                          1, true);
            lock.lock();
        }
    }
}

} // namespace stillroom
