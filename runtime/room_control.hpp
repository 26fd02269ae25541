// What the room's control surfaces (HTTP API, MQTT, MIDI, console) need of the room.
// The room runtime (app/room.hpp) implements it; tests fake it.
#pragma once

#include "engine/commands.hpp"
#include "engine/json_reader.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace stillroom {

struct CommandResult {
    bool ok = false;
    int status = 200;    // HTTP-like: 200 ok, 400 bad input, 404 unknown, 409 refused now
    std::string message; // why refused, or a note
    Json body;           // the state after the command
    // The journal record the command made (its "seq"; a refused command's "refused" record
    // too); 0 when it made none (no session, no journal).
    std::int64_t seq = 0;
};

// A correction of one clinical entry of the session (docs/report.md "Corrections"): the
// entry's seq, a reason code and, for wrong-time / wrong-value, what it should have been.
struct Correction {
    std::int64_t seq = 0;
    std::string reason; // entered-in-error | wrong-time | wrong-value
    Json value;         // null; {"t_s": seconds since start} (wrong-time); the entry's own
                        // arguments (wrong-value: vitals {"systolic", ...}, observe {"code"})
};

class RoomControl {
public:
    virtual ~RoomControl() = default;
    // Runs on: any thread.
    virtual Json state() const = 0;
    virtual CommandResult start(const StartRequest& request) = 0;
    virtual CommandResult command(const Command& command) = 0;
    // The same, journaled as given by `by`: a room.json user name, or "mqtt", "midi",
    // "console" (the room itself: "schedule"). Runs on: any thread.
    virtual CommandResult start_by(const StartRequest& request, const std::string& /*by*/) {
        return start(request);
    }
    virtual CommandResult command_by(const Command& cmd, const std::string& /*by*/) {
        return command(cmd);
    }
    // A command from `by` (e.g. "mqtt") refused before it reached the room: `kind` says why
    // ("queue_full", "not_json", "bad_time", "expired", "bad_input", "unknown_action",
    // "library", "refused"), `cmd` is the command's name (or "unknown"), `count` how many
    // such commands at once (a queue-full burst). Journaled in the running session at a
    // bounded rate (runtime/room_refusals.cpp), never with the command's payload; no session:
    // nothing. Runs on: any thread.
    virtual void journal_refusal(const std::string& /*by*/, const std::string& /*kind*/,
                                 const std::string& /*cmd*/, std::uint64_t /*count*/) {}
    // Appends a correction of the session's entry `correction.seq`, given by `by`, who may
    // correct only their own entries unless `any_user` (clinic). Runs on: any thread.
    virtual CommandResult correct(const Correction& /*correction*/, const std::string& /*by*/,
                                  bool /*any_user*/) {
        return {false, 404, "this room keeps no record", {}};
    }
    // Signs the finished session's record (`signed: {"by", "clock"}`). Runs on: any thread.
    virtual CommandResult sign(const std::string& /*session_id*/, const std::string& /*by*/) {
        return {false, 404, "this room keeps no record", {}};
    }
    // The running (or last) session's timeline and summary (control/session_views.hpp);
    // null without a session. Runs on: any thread.
    virtual Json timeline() const = 0;
    virtual Json summary() const = 0;
    // Why the running session needs a library-relative audio file (a track of one of its
    // playlists, a cue's sound), or nullopt: such a file is not replaced or deleted while
    // the session runs. Runs on: any thread.
    virtual std::optional<std::string> session_uses_file(const std::string& relative) const {
        (void)relative;
        return std::nullopt;
    }
    // Acknowledges a vitals alert (session.alerts[].id) as `by`. Runs on: any thread.
    virtual CommandResult ack_alert(const std::string& id, const std::string& by) {
        (void)id;
        (void)by;
        return {false, 404, "this room has no vitals alerts", nullptr};
    }
    // The running session's full vitals series, minute rows and alert episodes; null
    // without a session. Runs on: any thread.
    virtual Json vitals_series() const { return nullptr; }
    // Acknowledges the session's vitals reading with journal seq `seq` (a flagged reading
    // pinned on every tablet until seen) as `by`, for the whole room. Runs on: any thread.
    virtual CommandResult ack_reading(std::int64_t seq, const std::string& by) {
        (void)seq;
        (void)by;
        return {false, 409, "no session is running", nullptr};
    }
};

} // namespace stillroom
