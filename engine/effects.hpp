// Effects: what the engine asks of the room, as data. Drivers act on them; the journal
// records them; the planner prints them. Times are session time (ms since start).
#pragma once

#include "engine/catalog.hpp"
#include "engine/json_reader.hpp"
#include "engine/light_target.hpp"
#include "engine/time.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace stillroom {

struct PhaseStarted {
    int index = 0;
    std::string id;
    std::string name;
};

// Crossfade from whatever plays now into this track at `position` (ms into its playable part).
struct PlayTrack {
    std::string playlist;
    int track = 0;
    TrackInfo info;
    Ms position{0};
    Ms crossfade{0};
};

// Fade the music out to silence.
struct StopMusic {
    Ms fade{0};
};

// Ramp the session's music gain to `db` (an S-curve over `ramp`).
struct SetVolume {
    double db = 0;
    Ms ramp{0};
};

// Ramp the session's depth to `depth` (0 lightest .. 1 deepest) along an S-curve over `ramp`:
// the layers of a layered track cross over, and the lights move toward their "deep" values.
struct SetDepth {
    double depth = 0;
    Ms ramp{0};
};

// A one-shot sound. Relative (a template's cue): measured like a track and played at the
// music's level now (the -23 LUFS reference plus the session volume, following its ramps)
// plus `gain_db`. Absolute (test tones): `gain_db` is plain dBFS, under the room's ceiling.
struct PlaySound {
    std::string file;
    double gain_db = 0;
    bool relative = true;
};

// Fade every light to the scene over `fade`: `lights` is the scene resolved per light, from
// the session's own snapshot (a light not listed is left alone).
struct SetScene {
    std::string scene;
    Ms fade{0};
    SceneLights lights;
};

struct SendMidi {
    std::string output;
    std::vector<std::uint8_t> bytes;
};

struct PublishMqtt {
    std::string topic;
    std::string payload;
    bool retain = false;
};

struct Reminder {
    int cue = -1;
    std::string text;
    bool vitals = false;
};

// Written to the journal (flushed) before the effects that follow it are acted on.
struct JournalRecord {
    Json record;
};

struct SessionFinished {};

using EffectBody =
    std::variant<PhaseStarted, PlayTrack, StopMusic, SetVolume, PlaySound, SetScene, SendMidi,
                 PublishMqtt, Reminder, JournalRecord, SessionFinished, SetDepth>;

struct Effect {
    Ms at{0};
    EffectBody body;
};

using Effects = std::vector<Effect>;

// A one-line human description ("scene deep over 2m"), for logs and `plan --format text`.
std::string describe(const EffectBody& body);

} // namespace stillroom
