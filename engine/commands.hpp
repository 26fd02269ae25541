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
    Dose,       // {"booster"?: bool}
    Next,       // {"phase"?: ID} jump forward to that phase
    Hold,
    Resume,
    Extend,     // {"seconds": n}
    Comfort,    // {"on"?: bool}, default true
    LightsUp,   // {"on"?: bool}, default true
    End,
    Volume,     // {"db": n}
    Skip,
    Vitals,     // {"systolic"?, "diastolic"?, "hr"?, "spo2"?, "cue"?}
    Ack,        // {"cue": index} acknowledge a reminder
    TrackFailed, // {"file": path} from the audio driver: the file cannot be played
    Observe      // {"code": c} a structured observation from the template's vocabulary
};

struct VitalSigns {
    std::optional<int> systolic, diastolic, hr, spo2;
    bool operator==(const VitalSigns&) const = default;
};

struct Command {
    CommandKind kind = CommandKind::Hold;
    bool booster = false;
    bool on = true;
    Ms amount{0};
    double db = 0;
    VitalSigns vitals;
    int cue = -1;
    std::string phase;
    std::string file;
    std::string code; // Observe

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

// Labels are short codes ("R1-AM"): letters, digits, space, '-', '_', '#', '.', at most 24.
bool is_valid_label(std::string_view label);

} // namespace stillroom
