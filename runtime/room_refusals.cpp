// Refused commands from MQTT in the session's record, at a bounded rate: anyone on the
// broker can send commands, and a flood of refused ones once wrote 54 MB in 20 s. Each
// refusal leaves a trace, but at most one record per kind per second (session time): a
// "refused" record with "by": "mqtt", "kind" and "count" (the refusals it stands for);
// what a second held back is journaled as one summary record when that second ends (the
// engine thread's next tick). The record never carries the command's payload: a refused
// command may hold anything, and the journal holds no free text about patients. Commands
// from the tablet, MIDI, the console and the schedule are journaled one by one as before.
#include "runtime/room.hpp"

#include <algorithm>
#include <utility>

namespace stillroom {

namespace {

bool budgeted(const std::string& by) {
    return by == "mqtt";
}

// Why commands of this kind were refused, in the room's own words (never the sender's).
std::string refusal_reason(const std::string& kind) {
    if (kind == "queue_full") return "64 MQTT commands were already waiting; dropped unread";
    if (kind == "not_json") return "the payload is not JSON";
    if (kind == "bad_time") return "sent_at is not a usable time";
    if (kind == "expired") return "sent more than 5 s before it arrived";
    if (kind == "bad_input") return "the command's arguments are invalid";
    if (kind == "unknown_action") return "no such command";
    if (kind == "library") return "the library change was refused";
    if (kind == "refused") return "refused by the room";
    return "refused";
}

std::string key_of(const std::string& by, const std::string& kind) {
    return by + "/" + kind;
}

} // namespace

void Room::journal_refusal(const std::string& by, const std::string& kind, const std::string& cmd,
                           std::uint64_t count) {
    if (count == 0) return;
    std::lock_guard lock(mutex_);
    if (!session_ || session_->status() == SessionStatus::Finished || !journal_) return;
    const auto n = refusals_.allow(key_of(by, kind), clock_.now(), count);
    if (!n) return;
    // Not a change of the room's state: no notify (a flood must not become one of states).
    queue_record({{"type", "refused"},
                  {"t", std::max(session_now(), session_->now()).count()},
                  {"cmd", cmd},
                  {"kind", kind},
                  {"reason", refusal_reason(kind)},
                  {"count", *n},
                  {"by", by}});
}

void Room::budget_refusals_locked(Effects& effects, const std::string& by) {
    if (!budgeted(by)) return;
    const std::string key = key_of(by, "refused");
    Effects kept;
    kept.reserve(effects.size());
    for (auto& e : effects) {
        if (auto* r = std::get_if<JournalRecord>(&e.body);
            r && r->record.value("type", "") == "refused") {
            const auto n = refusals_.allow(key, clock_.now());
            if (!n) continue; // held back, counted
            r->record["kind"] = "refused";
            r->record["count"] = *n;
        }
        kept.push_back(std::move(e));
    }
    effects = std::move(kept);
}

void Room::journal_due_refusals_locked(bool all) {
    if (!journal_) return;
    for (const auto& [key, n] : all ? refusals_.flush() : refusals_.due(clock_.now())) {
        const auto slash = key.find('/');
        const std::string by = key.substr(0, slash);
        const std::string kind = key.substr(slash + 1);
        queue_record({{"type", "refused"},
                      {"t", std::max(session_now(), session_->now()).count()},
                      {"cmd", ""},
                      {"kind", kind},
                      {"reason", std::to_string(n) + " more like it in the second before (" +
                                     refusal_reason(kind) + "), not journaled one by one"},
                      {"count", n},
                      {"by", by}});
    }
}

} // namespace stillroom
