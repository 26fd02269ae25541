// Plausible monitors for a demo or a test room (`stillroom vitals simulate`, and the demo on
// a thread of its own). For each source in room.json "vitals" it publishes to the source's
// topic on the room's broker in the source's own format: a continuous source once a second
// (SpO2 96-98, pulse 62-74 with a slow drift), a cuff or spot-check source at the start and
// then every `cuff_every_s` seconds. `desaturate` adds an episode: from 20 s on, SpO2 sinks
// to 86 over 20 s, stays 40 s, and recovers.
#pragma once

#include "engine/clock.hpp"
#include "library/library.hpp"

#include <atomic>
#include <iosfwd>

namespace stillroom::app {

struct VitalsSimulation {
    bool desaturate = false;
    long seconds = -1;       // how long; -1: until stopped
    long cuff_every_s = 300; // at least 10
    // The session clock's speed (`demo --speed`): the monitors send once a session second
    // (at most 20 times a real second), as the room counts their silence in session time.
    double speed = 1;
    // Ends the run early: set `stop`, then wake `wakeup`. Both optional.
    std::atomic<bool>* stop = nullptr;
    Wakeup* wakeup = nullptr;
};

// Publishes until done or stopped, paced by `clock` (the command's device clock); false (and
// why, on `out`) without "mqtt" and "vitals" in room.json or without a broker. Runs on: the
// calling thread (blocks).
bool run_vitals_simulator(const Library& lib, const VitalsSimulation& sim, DeviceClock& clock,
                          std::ostream& out);

} // namespace stillroom::app
