// The interface the engine's effects reach the room through. Drivers in devices/ implement
// it (audio outputs, lights, MIDI, MQTT); tests implement it with fakes.
#pragma once

#include "engine/desired_state.hpp"
#include "engine/effects.hpp"
#include "engine/json_reader.hpp"
#include "engine/time.hpp"

#include <string>

namespace stillroom {

class RoomDriver {
public:
    virtual ~RoomDriver() = default;
    // A short name for logs and the tablet ("lights", "audio", "midi").
    virtual std::string name() const = 0;
    // Acts on one effect due at `at` (a monotonic time, possibly slightly in the past).
    // Must not block: queue work for the driver's own thread. Never throws.
    // Runs on: whichever thread holds the room lock (the engine thread, or the HTTP, MQTT or
    // MIDI thread whose command the room is carrying out).
    virtual void apply(const Effect& effect, MonoTime at) = 0;
    // Makes the room match `state` gently (after a restart, a reconnect, a resume).
    // Must not block either. Runs on: the room's thread at start-up and resume, or a driver's
    // own thread after its device comes back.
    virtual void reconcile(const DesiredState& state, MonoTime at) = 0;
    // {"ok": bool, "detail": "..."} for the tablet's device list. Runs on: any thread.
    virtual Json health() const = 0;
};

} // namespace stillroom
