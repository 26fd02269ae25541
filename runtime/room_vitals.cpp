// The room's part in vitals from devices: readings queued by the MQTT thread and taken in
// by the engine thread, spot measurements as session.vitals entries, the monitor's alerts
// and minute rows into the journal, and the acknowledgement of an alert.
#include "runtime/room.hpp"

#include <cmath>

namespace stillroom {

namespace {

constexpr std::size_t kMaxQueuedReadings = 256;

// A device's spot measurement as the Vitals command a typed one would be: the same ranges
// (a value outside them is a device error, not a reading) and the same flags.
std::optional<Command> spot_command(const std::string& source, const VitalsPayload& p) {
    Command c;
    c.kind = CommandKind::Vitals;
    c.source = source;
    auto take = [&](const VitalRange& range, std::optional<int>& out) {
        const auto it = p.values.find(range.field);
        if (it == p.values.end()) return;
        const long v = std::lround(it->second);
        if (v >= range.min && v <= range.max) out = static_cast<int>(v);
    };
    take(kSystolicRange, c.vitals.systolic);
    take(kDiastolicRange, c.vitals.diastolic);
    take(kHeartRateRange, c.vitals.hr);
    take(kSpo2Range, c.vitals.spo2);
    if (c.vitals.systolic && c.vitals.diastolic && *c.vitals.diastolic >= *c.vitals.systolic)
        c.vitals.systolic.reset(), c.vitals.diastolic.reset();
    if (!c.vitals.systolic && !c.vitals.diastolic && !c.vitals.hr && !c.vitals.spo2)
        return std::nullopt;
    return c;
}

} // namespace

void Room::vitals_reading(std::string source, VitalsPayload payload, bool spot) {
    {
        std::lock_guard lock(vitals_inbox_mutex_);
        if (vitals_inbox_.size() >= kMaxQueuedReadings) {
            ++vitals_inbox_dropped_;
            return;
        }
        vitals_inbox_.push_back({std::move(source), std::move(payload), spot});
    }
    clock_.wake();
}

void Room::start_vitals_locked(Ms t) {
    {
        std::lock_guard lock(vitals_inbox_mutex_);
        vitals_inbox_.clear(); // readings from before the session are not the session's
    }
    vitals_.reset();
    const auto& config = library_.room.vitals;
    if (!config || !session_) return;
    VitalsMonitorOptions o;
    o.stale_after = config->stale_after;
    o.sustain = config->sustain;
    std::vector<std::string> continuous;
    for (const auto& s : config->sources)
        if (!is_spot_format(s.format)) continuous.push_back(s.id);
    vitals_ = std::make_unique<VitalsMonitor>(session_->setup().tmpl.vitals_alert, o,
                                              std::move(continuous), t);
}

void Room::journal_vitals_locked(std::vector<Json> events) {
    if (!journal_ || !session_) return;
    const Ms now = std::max(session_now(), session_->now());
    for (auto& e : events) {
        e["type"] = "event";
        e["t"] = now.count(); // in journal order; the alert's own times are in the state
        held_records_.push_back(std::move(e));
    }
    if (!events.empty()) write_held_records();
}

bool Room::take_vitals_locked() {
    std::deque<QueuedReading> batch;
    {
        std::lock_guard lock(vitals_inbox_mutex_);
        batch.swap(vitals_inbox_);
    }
    if (!session_ || !vitals_ || session_->status() == SessionStatus::Finished) return false;
    const Ms now = std::max(session_now(), session_->now());
    for (auto& r : batch) {
        if (!r.spot) {
            vitals_->reading(r.source, r.payload, now);
            continue;
        }
        const auto cmd = spot_command(r.source, r.payload);
        if (!cmd) continue;
        dispatch(session_->apply(*cmd, now).effects);
        std::map<std::string, double> values;
        if (cmd->vitals.systolic) values["systolic"] = *cmd->vitals.systolic;
        if (cmd->vitals.diastolic) values["diastolic"] = *cmd->vitals.diastolic;
        if (cmd->vitals.hr) values["hr"] = *cmd->vitals.hr;
        if (cmd->vitals.spo2) values["spo2"] = *cmd->vitals.spo2;
        vitals_->spot(r.source, values, now);
    }
    auto events = vitals_->advance_to(now);
    const bool changed = !batch.empty() || !events.empty();
    journal_vitals_locked(std::move(events));
    return changed;
}

void Room::vitals_state_locked(Json& session) const {
    const Ms now = session_ ? std::max(session_now(), session_->now()) : Ms{0};
    session["vitals_live"] = vitals_ ? vitals_->live_json(now) : Json::object();
    session["alerts"] = vitals_ ? vitals_->alerts_json(now) : Json::array();
    session["vitals_trend"] = vitals_ ? vitals_->trend_json() : Json::array();
}

CommandResult Room::ack_alert(const std::string& id, const std::string& by) {
    std::lock_guard lock(mutex_);
    if (!session_ || !vitals_) return {false, 409, "no session with vitals is running", nullptr};
    std::string note;
    Json record;
    const Ms now = std::max(session_now(), session_->now());
    if (!vitals_->ack(id, by, now, &note, &record)) return {false, 404, note, state_locked()};
    if (!record.is_null()) journal_vitals_locked({record});
    notify();
    return {true, 200, note, state_locked()};
}

Json Room::vitals_series() const {
    std::lock_guard lock(mutex_);
    if (!session_ || !vitals_) return nullptr;
    Json out = vitals_->series_json();
    out["session"] = session_->id();
    std::lock_guard inbox(vitals_inbox_mutex_);
    out["queue_dropped"] = vitals_inbox_dropped_;
    return out;
}

} // namespace stillroom
