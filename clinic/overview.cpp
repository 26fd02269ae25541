// The clinic overview's model.
#include "clinic/overview.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

namespace stillroom {

namespace {

// Layer faults listed per room (the room keeps a few; a forged state could send more).
constexpr std::size_t kMaxListedLayerFaults = 20;

// "a/b/status" -> ("a/b", "status").
std::pair<std::string, std::string> split_topic(const std::string& topic) {
    const auto slash = topic.rfind('/');
    if (slash == std::string::npos || slash == 0) return {"", ""};
    return {topic.substr(0, slash), topic.substr(slash + 1)};
}

double seconds(Ms d) {
    return static_cast<double>(d.count()) / 1000.0;
}

std::string minutes_text(double s) {
    const long m = std::lround(std::floor(s / 60.0));
    return std::to_string(m) + " min";
}

} // namespace

Overview::Overview(OverviewOptions options) : options_(options) {}

bool Overview::on_message(const std::string& topic, const std::string& payload, DeviceTime now) {
    const auto [base, leaf] = split_topic(topic);
    if (base.empty() ||
        (leaf != "status" && leaf != "state" && leaf != "result" && leaf != "heartbeat"))
        return false;
    if (leaf == "heartbeat") { // only for rooms already known: a heartbeat creates nothing
        Problems problems(topic);
        auto beat = parse_json_text(payload, problems);
        std::lock_guard lock(mutex_);
        auto known = rooms_.find(base);
        if (!beat || !beat->is_object() || known == rooms_.end()) {
            ++ignored_;
            return false;
        }
        Room& r = known->second;
        const bool was_lost = heartbeat_lost(r, now);
        const double every_s = beat->value("every_s", 10.0);
        r.heartbeat_every = Ms{static_cast<Ms::rep>(std::clamp(every_s, 1.0, 600.0) * 1000.0)};
        r.heartbeat_at = now;
        r.seen_at = now;
        return was_lost; // back: the page is told
    }
    if (leaf == "result") { // only answers to library changes, only for rooms already known
        Problems problems(topic);
        auto result = parse_json_text(payload, problems);
        if (!result || !result->is_object() || result->value("action", "") != "library")
            return false;
        std::lock_guard lock(mutex_);
        auto known = rooms_.find(base);
        if (known == rooms_.end()) return false;
        Json change = {{"ok", result->value("ok", false)},
                       {"kind", result->value("kind", "")},
                       {"name", result->value("name", "")}};
        if (result->contains("error")) change["error"] = (*result)["error"];
        known->second.library_change = std::move(change);
        return true;
    }
    // Checked before the table is touched: garbage never creates a room.
    std::optional<Json> state;
    if (leaf == "state") {
        Problems problems(topic);
        state = parse_json_text(payload, problems);
        if (!state || !state->is_object() || !state->contains("room") ||
            !(*state)["room"].is_object()) {
            std::lock_guard lock(mutex_);
            ++ignored_;
            return false;
        }
    } else if (!payload.empty() && payload != "online" && payload != "offline") {
        std::lock_guard lock(mutex_);
        ++ignored_;
        return false;
    }
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(base);
    if (it == rooms_.end()) {
        if (payload.empty()) return false; // a cleared retained status of a room never seen
        if (rooms_.size() >= options_.max_rooms && !make_room_for_one()) {
            ++ignored_;
            return false;
        }
        it = rooms_.try_emplace(base).first;
        it->second.base = base;
    }
    Room& r = it->second;
    r.seen_at = now;
    if (leaf == "status") {
        if (payload.empty()) { // the room was taken out: its retained status was cleared
            rooms_.erase(it);
            return true;
        }
        const bool online = payload == "online";
        const bool changed = online != r.online;
        r.online = online;
        r.ever_online = r.ever_online || online;
        // Said again (a restart, a retained copy after a failover): a fresh window of three
        // heartbeats, never a pass for a room that stays silent.
        if (online && r.heartbeat_at) r.heartbeat_at = now;
        return changed;
    }
    r.state = std::move(*state);
    r.state_at = now;
    r.have_state = true;
    // Online comes from the status alone: a retained state outlives its room (it is
    // delivered after the room's retained "offline").
    return true;
}

bool Overview::heartbeat_lost(const Room& r, DeviceTime now) const {
    return r.heartbeat_at &&
           now - *r.heartbeat_at > r.heartbeat_every * options_.heartbeats_missed_offline;
}

bool Overview::make_room_for_one() {
    // Called with the lock held. The longest-silent room never seen online goes.
    auto victim = rooms_.end();
    for (auto it = rooms_.begin(); it != rooms_.end(); ++it)
        if (!it->second.ever_online &&
            (victim == rooms_.end() || it->second.seen_at < victim->second.seen_at))
            victim = it;
    if (victim == rooms_.end()) return false;
    rooms_.erase(victim);
    return true;
}

void Overview::prune_acks(Room& r, const Json& alerts) const {
    for (auto it = r.acks.begin(); it != r.acks.end();) {
        const bool showing = std::any_of(alerts.begin(), alerts.end(), [&](const Json& a) {
            return a.value("id", "") == it->first;
        });
        it = showing ? std::next(it) : r.acks.erase(it);
    }
}

bool Overview::acknowledge(const std::string& room, const std::string& alert, const std::string& by,
                           std::int64_t at_unix_s, DeviceTime now) {
    std::lock_guard lock(mutex_);
    for (auto& [base, r] : rooms_) {
        const Json j = room_json(r, now);
        if (base != room && j["room"] != room) continue;
        for (const auto& a : j["alerts"])
            if (a.value("id", "") == alert) {
                r.acks[alert] = {by, at_unix_s};
                return true;
            }
    }
    return false;
}

Json Overview::room_json(const Room& r, DeviceTime now) const {
    const Json& st = r.state;
    const bool lost = r.online && heartbeat_lost(r, now);
    Json out = {{"base_topic", r.base},
                {"room", r.have_state ? st["room"].value("id", "") : ""},
                {"name", r.have_state ? st["room"].value("name", "") : ""},
                {"online", r.online && !lost},
                {"last_seen_s", seconds(now - r.seen_at)},
                {"session", nullptr},
                {"alerts", Json::array()}};
    if (out["room"] == "") {
        // Only a status so far: name it after its topic.
        const auto slash = r.base.rfind('/');
        out["room"] = slash == std::string::npos ? r.base : r.base.substr(slash + 1);
        out["name"] = out["room"];
    }
    const Json* lib = r.have_state && st.contains("library") && st["library"].is_object()
                          ? &st["library"]
                          : nullptr;
    Json problems = lib && lib->contains("problems") && (*lib)["problems"].is_array()
                        ? (*lib)["problems"]
                        : Json::array();
    // An audio layer that broke mid-piece (docs/depth.md): file, piece and error, as the
    // room bounds them; at most kMaxListedLayerFaults of them, strings only.
    Json layer_faults = Json::array();
    if (lib && lib->contains("layer_faults") && (*lib)["layer_faults"].is_array())
        for (const auto& f : (*lib)["layer_faults"]) {
            if (layer_faults.size() >= kMaxListedLayerFaults) break;
            if (!f.is_object()) continue;
            auto text = [&](const char* k) {
                return f.contains(k) && f[k].is_string() ? f[k].get<std::string>().substr(0, 200)
                                                         : std::string();
            };
            layer_faults.push_back(
                {{"file", text("file")}, {"piece", text("piece")}, {"error", text("error")}});
        }
    out["library"] = {{"version", lib ? (*lib).value("version", "") : ""},
                      {"in_force", lib ? (*lib).value("in_force", "disk") : "disk"},
                      {"problems", problems},
                      {"layer_faults", layer_faults},
                      {"last_change", r.library_change}};
    Json& alerts = out["alerts"];
    // Library faults are the clinic's and the curator's to fix (never the therapist's).
    if (!problems.empty())
        alerts.push_back(
            {{"kind", "library"},
             {"text", std::to_string(problems.size()) +
                          (problems.size() == 1 ? " library error" : " library errors") +
                          (out["library"]["in_force"] == "last-good"
                               ? ": the room runs its last good library"
                               : ": no session can start")}});
    if (!layer_faults.empty())
        alerts.push_back(
            {{"kind", "layer_fault"},
             {"text", std::to_string(layer_faults.size()) +
                          (layer_faults.size() == 1 ? " audio layer" : " audio layers") +
                          " failed (" + layer_faults[0]["file"].get<std::string>() +
                          "): the piece plays on without it"}});
    const Json* session = r.have_state && st.contains("session") && st["session"].is_object()
                              ? &st["session"]
                              : nullptr;
    const bool running = session && session->value("status", "") != "finished";
    // Session times move on by themselves between states (the room publishes on change).
    const double age = running ? seconds(now - r.state_at) : 0.0;
    if (session) {
        const Json& s = *session;
        auto num = [&](const char* k) -> Json {
            return s.contains(k) && s[k].is_number() ? Json(s[k].get<double>() + age)
                                                     : Json(nullptr);
        };
        Json phase = nullptr;
        if (s.contains("phase") && s["phase"].is_object()) {
            const Json& p = s["phase"];
            phase = {{"name", p.value("name", "")},
                     {"index", p.value("index", 0)},
                     {"count", p.value("count", 0)}};
        }
        out["session"] = {{"id", s.value("id", "")},
                          {"label", s.value("label", "")},
                          {"template", s.value("template_name", s.value("template", ""))},
                          {"status", s.value("status", "")},
                          {"phase", phase},
                          {"held", s.value("held", false)},
                          {"comfort", s.value("comfort", false)},
                          {"lights_up", s.value("lights_up", false)},
                          {"since_start", num("since_start")},
                          {"since_dose", num("since_dose")}};
        if (running && s.contains("reminders") && s["reminders"].is_array() &&
            s.contains("since_start") && s["since_start"].is_number()) {
            const double now_s = s["since_start"].get<double>() + age;
            for (const auto& rem : s["reminders"]) {
                if (!rem.is_object() || !rem.contains("at") || !rem["at"].is_number()) continue;
                const double overdue = now_s - rem["at"].get<double>();
                if (overdue >= seconds(options_.reminder_overdue))
                    alerts.push_back({{"kind", "reminder_overdue"},
                                      {"text", (overdue < 60 ? std::string("reminder due: ")
                                                             : "reminder overdue " +
                                                                   minutes_text(overdue) + ": ") +
                                                   rem.value("text", "")},
                                      {"overdue_s", overdue},
                                      {"reminder_at", rem["at"]}});
            }
        }
        // A high vitals alert nobody acknowledged for 60 s: its kind and priority, no value.
        if (running && s.contains("alerts") && s["alerts"].is_array())
            for (const auto& a : s["alerts"])
                if (a.is_object() && a.value("escalated", false) && !a.value("acked", false))
                    alerts.push_back({{"kind", "vitals_alarm"},
                                      {"alarm", a.value("kind", "")},
                                      {"priority", a.value("priority", "")},
                                      {"text", "unacknowledged " + a.value("priority", "") +
                                                   " alert: " + a.value("kind", "")}});
        if (running && s.value("vitals_flagged", false))
            alerts.push_back({{"kind", "vitals_flagged"},
                              {"text", "a vitals reading is outside the thresholds"}});
    }
    if (r.have_state && st.contains("devices") && st["devices"].is_array()) {
        for (const auto& d : st["devices"])
            if (d.is_object() && d.value("anonymous", false)) out["mqtt_anonymous"] = true;
        for (const auto& d : st["devices"]) {
            if (!d.is_object() || d.value("ok", true)) continue;
            alerts.push_back({{"kind", "device_fault"},
                              {"device", d.value("id", "")},
                              {"text", d.value("id", "") + ": " + d.value("detail", "fault")}});
        }
    }
    // The broker stopped (or just came back): the rooms are as last seen, not offline.
    const bool broker_settled = broker_connected_ && now - broker_since_ >= options_.broker_grace;
    if (lost) {
        const long silent_s = std::lround(seconds(now - *r.heartbeat_at));
        out["offline_reason"] = "no heartbeat for " + std::to_string(silent_s) + " s";
    }
    if ((!r.online || lost) && running && broker_settled)
        alerts.push_back(
            {{"kind", "offline_in_session"},
             {"text", lost ? "offline in session: no heartbeat for " +
                                 std::to_string(std::lround(seconds(now - *r.heartbeat_at))) + " s"
                           : std::string("the room went offline during a session")}});
    for (auto& a : alerts) {
        const std::string id = a["kind"].get<std::string>() +
                               (a.contains("device") ? ":" + a["device"].get<std::string>() : "") +
                               (a.contains("reminder_at") ? ":" + a["reminder_at"].dump() : "");
        a["id"] = id.size() > 120 ? id.substr(0, 120) : id;
        auto ack = r.acks.find(a["id"].get<std::string>());
        a["acked_by"] = ack == r.acks.end() ? Json(nullptr) : Json(ack->second.by);
        a["acked_at"] = ack == r.acks.end() ? Json(nullptr) : Json(ack->second.at_unix_s);
    }
    return out;
}

void Overview::set_broker_connected(bool connected, DeviceTime now) {
    std::lock_guard lock(mutex_);
    if (connected && !broker_connected_) broker_since_ = now;
    broker_connected_ = connected;
}

Json Overview::rooms(DeviceTime now) const {
    std::lock_guard lock(mutex_);
    std::vector<Json> list;
    for (auto& [base, r] : rooms_) {
        list.push_back(room_json(r, now));
        if (!r.acks.empty()) prune_acks(r, list.back()["alerts"]); // cleared: forgotten
    }
    std::sort(list.begin(), list.end(), [](const Json& a, const Json& b) {
        return a["room"].get<std::string>() < b["room"].get<std::string>();
    });
    Json out = Json::array();
    for (auto& j : list)
        out.push_back(std::move(j));
    return out;
}

std::size_t Overview::alert_count(DeviceTime now) const {
    std::size_t n = 0;
    for (const auto& r : rooms(now))
        n += r["alerts"].size();
    return n;
}

std::uint64_t Overview::ignored() const {
    std::lock_guard lock(mutex_);
    return ignored_;
}

} // namespace stillroom
