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

class RoomControl {
public:
    virtual ~RoomControl() = default;
    // Runs on: any thread.
    virtual Json state() const = 0;
    virtual CommandResult start(const StartRequest& request) = 0;
    virtual CommandResult command(const Command& command) = 0;
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
};

} // namespace stillroom
