// Commands a therapist (tablet, MQTT, MIDI) or the room's drivers send to a running session.
// One parser for every source, so the HTTP API, MQTT and the journal agree on the format.
#pragma once

#include "engine/json_reader.hpp"
#include "engine/problems.hpp"
#include "engine/time.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace stillroom {

enum class CommandKind {
    Dose, // {"booster"?: bool, "amount_mg"?: n, "route"?: code} (the template's fields)
    Next, // {"phase"?: ID} jump forward to that phase
    Hold,
    Resume,
    Extend,   // {"seconds": n}
    Comfort,  // {"on"?: bool}, default true
    LightsUp, // {"on"?: bool}, default true
    End,
    Volume, // {"step_db": n} | {"trim_db": n} | {"db": n} (see VolumeHow)
    Skip,
    Vitals,      // {"systolic"?, "diastolic"?, "hr"?, "spo2"?, "cue"?, "source"?}
    Ack,         // {"cue": index} acknowledge a reminder
    TrackFailed, // {"file": path} from the audio driver: the file cannot be played
    Observe,     // {"code": c} a structured observation from the template's vocabulary
    // {"sedation_resolved": true, "dissociation_resolved": true}: the discharge checklist of a
    // template's monitoring clock is complete (docs/vitals.md "Monitoring clock").
    Discharge,
    Depth // {"step": n} | {"trim": n} | {"level": n} (see VolumeHow; 0..1 units)
};

struct VitalSigns {
    std::optional<int> systolic, diastolic, hr, spo2;
    bool operator==(const VitalSigns&) const = default;
};

// What a Volume command's number means. The effective level is the template's arc
// (phase volume_db, volume cues) + the therapist's trim + the overlay offset, under the
// room's ceiling (docs/engine.md, "Volume").
// Depth commands use the same three meanings in depth units (0 lightest .. 1 deepest):
// {"level": n} trim = n - arc, {"step": n} from the effective depth now, {"trim": n}.
enum class VolumeHow {
    Level, // {"db": n}: the level without overlays (arc + trim) becomes n: trim = n - arc now
    Step,  // {"step_db": n}: the trim moves by n, starting from what is audible now
    Trim   // {"trim_db": n}: the trim becomes n
};

struct Command {
    CommandKind kind = CommandKind::Hold;
    bool booster = false;
    bool on = true;
    Ms amount{0};
    double db = 0;
    VolumeHow volume_how = VolumeHow::Level; // Volume and Depth
    double depth = 0;                        // Depth: the number, read as volume_how says
    VitalSigns vitals;
    int cue = -1;
    std::string phase;
    std::string file;
    std::string code; // Observe
    // Vitals: a device's reading names its room.json vitals source ("cuff"); empty when typed.
    std::string source;
    // Dose: the structured fields the template declares (engine/dose_spec.hpp); none: unset.
    std::optional<double> amount_mg;
    std::string route;

    bool operator==(const Command&) const = default;
};

// "dose", "lights-up", "track-failed", ... (the URL / MQTT topic form).
const char* command_name(CommandKind kind);
std::optional<CommandKind> command_kind_from_name(std::string_view name);

// Parses a command's JSON arguments (null or {} for none). Problems name `source`.
std::optional<Command> parse_command(CommandKind kind, const Json& args, Problems& problems);
// The arguments object parse_command() reads back.
Json command_args_json(const Command& cmd);

// Start of a session (not a command to a session: it creates one).
struct StartRequest {
    std::string template_id;
    std::string label; // optional; a short code, never a patient's name
};
std::optional<StartRequest> parse_start_request(const Json& args, Problems& problems);

// Labels are short codes ("R1-AM"): letters, digits and dashes, at most 12, no spaces, and
// at least one digit (so a name such as "Jane-Doe" is refused). An empty label is no label.
bool is_valid_label(std::string_view label);
inline constexpr const char* kLabelRule = "a label is a short code of at most 12 letters, digits "
                                          "and dashes with at least one digit, no spaces (never a "
                                          "patient's name)";

// Plausible vital signs: anything outside is a typing error, refused naming the field.
// Values inside but beyond the template's alert thresholds are accepted and flagged.
struct VitalRange {
    const char* field;
    int min, max;
};
inline constexpr VitalRange kSystolicRange{"systolic", 60, 260};
inline constexpr VitalRange kDiastolicRange{"diastolic", 30, 160};
inline constexpr VitalRange kHeartRateRange{"hr", 25, 230};
inline constexpr VitalRange kSpo2Range{"spo2", 50, 100};

// Trim limits (dB relative to the template's arc).
inline constexpr double kMinTrimDb = -60;
inline constexpr double kMaxTrimDb = 60;
// Depth trim limits (depth units, relative to the template's arc).
inline constexpr double kMinDepthTrim = -1;
inline constexpr double kMaxDepthTrim = 1;

} // namespace stillroom
