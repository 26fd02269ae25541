// What the room should be at one instant: the basis of reconciliation and resume.
#pragma once

#include "engine/catalog.hpp"
#include "engine/light_target.hpp"
#include "engine/time.hpp"

#include <optional>
#include <string>
#include <vector>

namespace stillroom {

enum class SessionStatus { Running, Ending, Finished };

// A phase with a playlist silent for longer than this is an alert and a record flag.
inline constexpr Ms kSilenceAlert{5000};
const char* to_string(SessionStatus s);

struct SceneFade {
    std::string scene;
    Ms start{0};
    Ms fade{0};
    SceneLights lights; // the scene resolved per light (the session's snapshot)
    bool operator==(const SceneFade&) const = default;
};

struct PendingReminder {
    int cue = -1;
    std::string text;
    bool vitals = false;
    Ms at{0};
    bool operator==(const PendingReminder&) const = default;
};

struct VitalsRecord {
    Ms at{0};
    std::optional<int> systolic, diastolic, hr, spo2;
    std::string source; // a device's source id; empty when typed
    bool operator==(const VitalsRecord&) const = default;
};

struct NowPlaying {
    std::string playlist;
    int track = -1;
    std::string file;
    std::string title;
    Ms position{0}; // into the playable part (after the "in" trim)
    Ms length{0};
    Ms in{0}; // the track's "in" trim within the file
    double gain_db = 0;
    std::vector<TrackLayer> layers = {}; // a piece in layers (TrackInfo::layers); empty: plain
    bool operator==(const NowPlaying&) const = default;
};

struct NextCue {
    int cue = -1;
    std::optional<Ms> at; // none: waits for its anchor (dose, or a phase not yet started)
    std::string what;
    bool operator==(const NextCue&) const = default;
};

struct DesiredState {
    Ms t{0};
    SessionStatus status = SessionStatus::Running;
    int phase_index = 0;
    std::string phase_id;
    std::string phase_name;
    Ms phase_elapsed{0};
    Ms phase_planned{0};
    bool held = false;
    bool comfort = false;
    bool lights_up = false;
    std::optional<Ms> since_dose;
    bool booster = false;
    std::optional<NextCue> next_cue;
    std::vector<PendingReminder> reminders;

    // Music
    std::optional<NowPlaying> playing; // none: silence
    // Since when a phase that has a playlist is silent (its list ran out, nothing playable):
    // more than kSilenceAlert is an alert on the tablet and a `silence` record.
    std::optional<Ms> silent_since;
    double volume_db = -90; // now, along any ramp
    double volume_target_db = -90;
    double volume_arc_db = -20;    // the template's level (phase volume_db, volume cues)
    double volume_trim_db = 0;     // the therapist's trim
    double volume_overlay_db = 0;  // comfort / lights up offset
    double volume_ceiling_db = -6; // the room's maximum

    // Depth (0 lightest .. 1 deepest): layered tracks and the lights' "deep" values follow it
    double depth = 0;        // now, along any ramp
    double depth_target = 0; // the effective depth being ramped to
    double depth_arc = 0;    // the template's depth (phase depth, depth cues)
    double depth_trim = 0;   // the therapist's trim

    // Lights
    std::string scene;         // target scene ("" = none set yet)
    std::string scene_from;    // the scene being faded from ("" = none)
    double scene_progress = 1; // 0..1 along the fade (linear in time)
    std::vector<SceneFade> scene_fades;

    bool operator==(const DesiredState&) const = default;
};

} // namespace stillroom
