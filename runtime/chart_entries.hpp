// The running session's clinical entries (dose, booster, vitals, observations, reminder
// acks) as the room journaled them, each with its seq, who and when, and the corrections
// made to it: what GET /state lists (session.entries) and what a correction may name.
// Built from the journal's records as they are queued (and again on resume). Runs under the
// room lock.
#pragma once

#include "engine/json_reader.hpp"
#include "engine/problems.hpp"
#include "runtime/room_control.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

// The reason codes of a correction (no free text).
bool is_correction_reason(const std::string& reason);
// {"seq", "reason", "value"?}: the shape only (the room checks it against the entry).
std::optional<Correction> parse_correction(const Json& body, Problems& problems);

struct ChartEntry {
    std::int64_t seq = 0;
    std::string kind; // dose, booster, vitals, observe, ack
    std::int64_t t_ms = 0;
    std::string by, clock;
    Json value;                       // the command's arguments
    Json corrections = Json::array(); // {"seq","reason","by","clock","late","value"?}
    Json acked = nullptr;             // a vitals reading seen: {"seq","by","clock"}, or null
    bool entered_in_error() const;
};

class ChartEntries {
public:
    void clear() { *this = ChartEntries{}; }
    // Any journal record, in order: picks the clinical commands, corrections and sign-off.
    void on_record(const Json& record);
    const ChartEntry* find(std::int64_t seq) const;
    bool is_signed() const { return !signed_.is_null(); }
    const Json& signed_by() const { return signed_; }
    // The discharge record (a monitoring clock's checklist done): {"seq", "by", "clock",
    // "t_s"}, or null.
    const Json& discharged() const { return discharged_; }
    // [{"seq","kind","t_s","by","clock","value","status","corrections"[]}] (a vitals reading
    // acknowledged also has "acked_by" and "acked_clock"); status is "final", "corrected" (a
    // later value or time stands) or "entered-in-error".
    Json to_json() const;

private:
    std::vector<ChartEntry> entries_;
    Json signed_ = nullptr;
    Json discharged_ = nullptr;
};

} // namespace stillroom
