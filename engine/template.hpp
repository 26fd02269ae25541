// The session template (sessions/NAME.json): ordered phases and timed cues.
#pragma once

#include "engine/catalog.hpp"
#include "engine/dose_spec.hpp"
#include "engine/json_reader.hpp"
#include "engine/problems.hpp"
#include "engine/time_expr.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

// The quietest and loudest levels any file may ask for.
inline constexpr double kMinVolumeDb = -90.0;
inline constexpr double kMaxGainDb = 12.0;

enum class PhaseEnd { Time, Dose, Therapist };
const char* to_string(PhaseEnd e);

struct Phase {
    std::string id;
    std::string name;
    PhaseEnd until = PhaseEnd::Time;
    Ms duration{0};                      // the plan; for "time" also when it ends
    std::optional<std::string> playlist; // none: keep what is playing
    std::optional<std::string> scene;    // none: keep the lights
    std::optional<Ms> fade;              // light and volume transition into this phase
    std::optional<Ms> crossfade;         // music transition; default: the playlist's
    std::optional<double> volume_db;     // none: keep the volume
    std::optional<double> depth;         // 0..1; none: keep the depth
};

struct MidiCue {
    std::string output;
    std::vector<std::uint8_t> bytes;
};

struct MqttCue {
    std::string topic;
    std::string payload; // JSON text, or a plain string payload
    bool retain = false; // published retained only when the cue asks
};

struct Cue {
    TimeExpr at;
    std::optional<std::string> remind;
    bool vitals = false;
    std::optional<double> volume_db;
    std::optional<double> depth; // 0..1, ramped over `ramp` like volume_db
    std::optional<Ms> ramp;
    std::optional<std::string> sound;
    double gain_db = 0;             // relative to the music's level at that moment
    bool louder_than_music = false; // allows gain_db > 0
    std::optional<std::string> scene;
    std::optional<Ms> fade;
    std::optional<std::string> playlist;
    std::optional<MidiCue> midi;
    std::optional<MqttCue> mqtt;
};

struct Booster {
    std::string extend; // phase id
    Ms by{0};
};

// Comfort and Lights up: temporary states layered over the phase.
struct Overlay {
    std::optional<std::string> playlist;
    std::optional<std::string> scene;
    Ms fade{0};
    double volume_offset_db = 0;
};

// How the session ends: music fades out, lights go to a scene (or stay).
struct EndSpec {
    std::optional<std::string> scene;
    Ms fade{std::chrono::seconds{60}};
};

// Alert thresholds for vitals (template "vitals": {"alert": {...}}). A reading beyond them
// is accepted and flagged on the tablet, in state and events; never in the room.
struct VitalsAlert {
    int systolic_max = 160;
    int diastolic_max = 100;
    int hr_min = 50;
    int hr_max = 120;
    int spo2_min = 92;
};

struct SessionTemplate {
    std::string id; // file stem
    std::string name;
    std::string description;
    // The clinical form the session report fills and checks ("spravato-rems"), if any.
    std::optional<std::string> record;
    // Observation codes the therapist may mark (default_observations() when not given).
    std::vector<std::string> observations;
    std::vector<Phase> phases;
    std::vector<Cue> cues;
    std::optional<Booster> booster;
    Overlay comfort;
    Overlay lights_up;
    EndSpec end;
    VitalsAlert vitals_alert;
    // "dose": the medication's code and the dose mark's structured fields (engine/dose_spec.hpp).
    DoseSpec dose;
    // "monitoring": {"after_dose"}: the monitoring clock and the discharge checklist.
    std::optional<MonitoringSpec> monitoring;

    // Index of the phase with this id, or -1.
    int phase_index(const std::string& id) const;
    // Index of the phase that ends when the dose is marked, or -1.
    int dose_phase_index() const;
    // Sum of planned phase durations.
    Ms planned_length() const;
};

// Built-in scene used by Lights up when the template names none: every light on, bright.
inline constexpr const char* kBrightScene = "@bright";

// Loads a template from parsed JSON. `file` names it in problems ("sessions/im75.json").
// With `refs`, references to playlists, scenes, sounds and MIDI outputs are checked too.
// Returns nullopt when there are errors; warnings may be added either way.
std::optional<SessionTemplate> load_template(const Json& json, const std::string& id,
                                             Problems& problems, const LibraryRefs* refs = nullptr);

} // namespace stillroom
