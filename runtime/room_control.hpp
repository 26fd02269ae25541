// What the room's control surfaces (HTTP API, MQTT, MIDI, console) need of the room.
// The room runtime (app/room.hpp) implements it; tests fake it.
#pragma once

#include "engine/commands.hpp"
#include "engine/json_reader.hpp"

#include <string>

namespace stillroom {

struct CommandResult {
    bool ok = false;
    int status = 200;    // HTTP-like: 200 ok, 400 bad input, 404 unknown, 409 refused now
    std::string message; // why refused, or a note
    Json body;           // the state after the command
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
    // Acknowledges a vitals alert (session.alerts[].id) as `by`. Runs on: any thread.
    virtual CommandResult ack_alert(const std::string& id, const std::string& by) {
        (void)id;
        (void)by;
        return {false, 404, "this room has no vitals alerts", nullptr};
    }
    // The running session's full vitals series, minute rows and alert episodes; null
    // without a session. Runs on: any thread.
    virtual Json vitals_series() const { return nullptr; }
};

} // namespace stillroom
