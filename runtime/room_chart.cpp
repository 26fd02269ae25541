// The room's record as a chart (docs/report.md): corrections of clinical entries and the
// sign-off, both appended to the session's journal as records of their own; nothing in the
// journal is ever changed or deleted.
#include "runtime/room.hpp"

#include "engine/journal_record.hpp"

#include <algorithm>

namespace stillroom {

namespace fs = std::filesystem;

std::string Room::clock_now() const {
    return zone_.iso8601(clock_.wall_unix_ms());
}

namespace {

// What a correction of this entry may say; "" when it may say it.
std::string check_correction(const ChartEntry& e, const Correction& c, Ms now,
                             const SessionTemplate& tmpl) {
    if (c.reason == "entered-in-error") return "";
    if (c.reason == "wrong-time") {
        const Json& t = c.value.contains("t_s") ? c.value["t_s"] : Json(nullptr);
        if (!t.is_number() || c.value.size() != 1)
            return "value: expected {\"t_s\": seconds since the session's start}";
        const double s = t.get<double>();
        if (s < 0 || s * 1000 > static_cast<double>(now.count()))
            return "value.t_s: expected a time between the start and now";
        return "";
    }
    // wrong-value
    if (e.kind == "vitals") {
        Problems p("value");
        if (!parse_command(CommandKind::Vitals, c.value, p)) return p.to_string();
        if (c.value.contains("cue")) return "value.cue: the reminder answered stays as it was";
        return "";
    }
    if (e.kind == "observe") {
        const std::string code = c.value.contains("code") && c.value["code"].is_string()
                                     ? c.value["code"].get<std::string>()
                                     : "";
        if (c.value.size() != 1 || std::find(tmpl.observations.begin(), tmpl.observations.end(),
                                             code) == tmpl.observations.end())
            return "value: expected {\"code\"} with one of the template's observation codes";
        return "";
    }
    if (e.kind == "dose" || e.kind == "booster") {
        // The structured fields the template declares: what should stand, checked like a mark.
        Problems p("value");
        Json args = c.value;
        if (args.contains("booster")) return "value.booster: a dose stays a dose";
        std::optional<Command> cmd;
        if (!args.empty()) cmd = parse_command(CommandKind::Dose, args, p);
        if (args.empty() || !cmd)
            return args.empty() ? "value: expected {\"amount_mg\"?, \"route\"?}" : p.to_string();
        if (auto why = check_dose_values(tmpl.dose.fields, cmd->amount_mg, cmd->route);
            !why.empty())
            return "value." + why;
        return "";
    }
    return "a " + e.kind + " has no value to correct: use entered-in-error or wrong-time";
}

} // namespace

CommandResult Room::correct(const Correction& c, const std::string& by, bool any_user) {
    std::lock_guard lock(mutex_);
    if (!session_ || !journal_) return {false, 409, "no session is running", state_locked()};
    const ChartEntry* e = entries_.find(c.seq);
    if (!e)
        return {false, 404,
                "no clinical entry with seq " + std::to_string(c.seq) +
                    " in this session (dose, booster, vitals, observation or reminder ack)",
                state_locked()};
    if (!any_user && e->by != by)
        return {false, 403,
                "only " + e->by + ", who made this entry, or a clinic user may correct it",
                state_locked()};
    if (e->entered_in_error())
        return {false, 409, "this entry is already marked entered in error", state_locked()};
    const Ms now = std::max(session_now(), session_->now());
    if (auto why = check_correction(*e, c, now, session_->setup().tmpl); !why.empty())
        return {false, 400, why, state_locked()};
    Json record = {{"type", "correct"},
                   {"t", now.count()},
                   {"corrects", c.seq},
                   {"kind", e->kind},
                   {"reason", c.reason}};
    if (!c.value.is_null()) record["value"] = c.value;
    if (entries_.is_signed()) record["late"] = true; // an addendum to a signed record
    acting_by_ = by;
    const std::int64_t seq = queue_record(std::move(record));
    acting_by_.clear();
    notify();
    std::string message;
    if (!held_records_.empty()) message = "done, but not yet on disk: " + journal_fault_;
    return {true, 200, message, state_locked(), seq};
}

CommandResult Room::ack_reading(std::int64_t seq, const std::string& by) {
    std::lock_guard lock(mutex_);
    if (!session_ || !journal_) return {false, 409, "no session is running", state_locked()};
    // "Seen" is for the session's screen: once it has ended its record is only corrected.
    if (session_->status() == SessionStatus::Finished)
        return {false, 409, "the session has ended: its flagged readings are in its record",
                state_locked()};
    const ChartEntry* e = entries_.find(seq);
    if (!e || e->kind != "vitals")
        return {false, 404,
                "no vitals reading with seq " + std::to_string(seq) + " in this session",
                state_locked()};
    if (!e->acked.is_null())
        return {true, 200,
                "already seen by " + e->acked.value("by", std::string()) + " at " +
                    e->acked.value("clock", std::string()),
                state_locked()};
    const Ms now = std::max(session_now(), session_->now());
    acting_by_ = by;
    const std::int64_t record_seq =
        queue_record({{"type", "vitals_ack"}, {"t", now.count()}, {"entry", seq}});
    acting_by_.clear();
    notify();
    std::string message;
    if (!held_records_.empty()) message = "done, but not yet on disk: " + journal_fault_;
    return {true, 200, message, state_locked(), record_seq};
}

CommandResult Room::sign(const std::string& id, const std::string& by) {
    std::lock_guard lock(mutex_);
    if (!session_ || session_->id() != id) return sign_journal_file(id, by);
    if (session_->status() != SessionStatus::Finished)
        return {false, 409, "the session has not ended: sign its record after it ends",
                state_locked()};
    if (entries_.is_signed())
        return {false, 409,
                "the record is already signed by " +
                    entries_.signed_by().value("by", std::string()) + " at " +
                    entries_.signed_by().value("clock", std::string()),
                state_locked()};
    if (!journal_) return {false, 500, "the journal is not open", state_locked()};
    const Ms now = std::max(session_now(), session_->now());
    acting_by_ = by;
    const std::int64_t seq = queue_record({{"type", "signed"}, {"t", now.count()}});
    acting_by_.clear();
    notify();
    if (!held_records_.empty())
        return {false, 500, "not signed: the journal cannot be written (" + journal_fault_ + ")",
                state_locked(), seq};
    return {true, 200, "", state_locked(), seq};
}

CommandResult Room::sign_journal_file(const std::string& id, const std::string& by) {
    const fs::path path = journal_path(state_dir_, id);
    std::error_code ec;
    if (!fs::exists(path, ec)) return {false, 404, "no session " + id, {}};
    const JournalContents contents = read_journal(path);
    if (contents.records.empty() || contents.records.front().value("type", "") != "start")
        return {false, 422, "the journal of " + id + " has no readable start record", {}};
    std::int64_t seq = static_cast<std::int64_t>(contents.records.size());
    Ms::rep t = 0;
    bool finished = false;
    for (const auto& r : contents.records) {
        if (r.contains("seq") && r["seq"].is_number_integer())
            seq = std::max(seq, r["seq"].get<std::int64_t>());
        if (r.contains("t") && r["t"].is_number_integer()) t = std::max(t, r["t"].get<Ms::rep>());
        const std::string type = r.value("type", "");
        finished = finished || type == "finished";
        if (type == "signed")
            return {false,
                    409,
                    "the record is already signed by " + r.value("by", std::string()) + " at " +
                        r.value("clock", std::string()),
                    {}};
    }
    if (!finished)
        return {false, 409, "the session has not ended: sign its record after it ends", {}};
    std::string error;
    auto writer = JournalWriter::open(path, &error);
    if (!writer) return {false, 500, "cannot write the journal: " + error, {}};
    const Json record = {
        {"type", "signed"}, {"t", t}, {"seq", seq + 1}, {"clock", clock_now()}, {"by", by}};
    if (!writer->append(record, &error)) return {false, 500, "not signed: " + error, {}};
    return {true, 200, "", {}, seq + 1};
}

} // namespace stillroom
