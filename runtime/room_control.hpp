// What the room's control surfaces (HTTP API, MQTT, MIDI, console) need of the room.
// The room runtime (app/room.hpp) implements it; tests fake it.
#pragma once

#include "engine/commands.hpp"
#include "engine/json_reader.hpp"

#include <cstdint>
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
};

} // namespace stillroom
