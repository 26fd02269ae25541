// Command names and argument parsing shared by the HTTP API, MQTT and the journal.
#include "engine/commands.hpp"

#include "engine/time_expr.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace stillroom {

namespace {

struct NameEntry {
    CommandKind kind;
    const char* name;
};

constexpr std::array<NameEntry, 16> kNames{{
    {CommandKind::Dose, "dose"},
    {CommandKind::Next, "next"},
    {CommandKind::Hold, "hold"},
    {CommandKind::Resume, "resume"},
    {CommandKind::Extend, "extend"},
    {CommandKind::Comfort, "comfort"},
    {CommandKind::LightsUp, "lights-up"},
    {CommandKind::End, "end"},
    {CommandKind::Volume, "volume"},
    {CommandKind::Skip, "skip"},
    {CommandKind::Vitals, "vitals"},
    {CommandKind::Ack, "ack"},
    {CommandKind::TrackFailed, "track-failed"},
    {CommandKind::Observe, "observe"},
    {CommandKind::Discharge, "discharge"},
    {CommandKind::Depth, "depth"},
}};

std::optional<int> read_vital(ObjectReader& obj, const VitalRange& range) {
    auto v = obj.integer(range.field, Need::Optional, range.min, range.max);
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
}

} // namespace

const char* command_name(CommandKind kind) {
    for (const auto& e : kNames)
        if (e.kind == kind) return e.name;
    return "?";
}

std::optional<CommandKind> command_kind_from_name(std::string_view name) {
    for (const auto& e : kNames)
        if (name == e.name) return e.kind;
    return std::nullopt;
}

bool is_valid_label(std::string_view label) {
    if (label.size() > 12) return false;
    // A code, never a name: "Jane-Doe" has no digit (issue 19 item 6). No label at all is fine.
    if (!label.empty() && label.find_first_of("0123456789") == std::string_view::npos) return false;
    for (char c : label) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::optional<Command> parse_command(CommandKind kind, const Json& args_in, Problems& problems) {
    const auto errors_before = problems.error_count();
    static const Json kEmpty = Json::object();
    const Json& args = args_in.is_null() ? kEmpty : args_in;
    ObjectReader obj(args, "", problems);
    if (!obj.is_object()) return std::nullopt;
    Command cmd;
    cmd.kind = kind;
    switch (kind) {
    case CommandKind::Dose:
        cmd.booster = obj.boolean("booster").value_or(false);
        cmd.amount_mg = obj.number("amount_mg", Need::Optional, 0, 10000);
        if (auto r = obj.string("route")) {
            const bool code =
                !r->empty() && r->size() <= 4 &&
                std::all_of(r->begin(), r->end(), [](char c) { return c >= 'A' && c <= 'Z'; });
            if (!code)
                problems.error("route", "expected a route code such as \"IM\" (no free text)");
            cmd.route = *r;
        }
        break;
    case CommandKind::Next:
        if (auto p = obj.string("phase")) cmd.phase = *p;
        break;
    case CommandKind::Extend:
        if (auto s = obj.number("seconds", Need::Required, 1, 7200))
            cmd.amount = Ms{static_cast<Ms::rep>(std::llround(*s * 1000))};
        break;
    case CommandKind::Comfort:
    case CommandKind::LightsUp:
        cmd.on = obj.boolean("on").value_or(true);
        break;
    case CommandKind::Volume: {
        const int given = int(args.contains("db")) + int(args.contains("step_db")) +
                          int(args.contains("trim_db"));
        if (given != 1) {
            problems.error("", "expected one of step_db (a step in dB), trim_db or db");
            break;
        }
        if (auto d = obj.number("db", Need::Optional, -90, 24))
            cmd.db = *d, cmd.volume_how = VolumeHow::Level;
        if (auto d = obj.number("step_db", Need::Optional, -24, 24))
            cmd.db = *d, cmd.volume_how = VolumeHow::Step;
        if (auto d = obj.number("trim_db", Need::Optional, kMinTrimDb, kMaxTrimDb))
            cmd.db = *d, cmd.volume_how = VolumeHow::Trim;
        break;
    }
    case CommandKind::Depth: {
        const int given =
            int(args.contains("level")) + int(args.contains("step")) + int(args.contains("trim"));
        if (given != 1) {
            problems.error("", "expected one of step (a step in depth, -1 to 1), trim or level "
                               "(0 lightest to 1 deepest)");
            break;
        }
        if (auto d = obj.number("level", Need::Optional, 0, 1))
            cmd.depth = *d, cmd.volume_how = VolumeHow::Level;
        if (auto d = obj.number("step", Need::Optional, -1, 1))
            cmd.depth = *d, cmd.volume_how = VolumeHow::Step;
        if (auto d = obj.number("trim", Need::Optional, kMinDepthTrim, kMaxDepthTrim))
            cmd.depth = *d, cmd.volume_how = VolumeHow::Trim;
        break;
    }
    case CommandKind::Vitals:
        cmd.vitals.systolic = read_vital(obj, kSystolicRange);
        cmd.vitals.diastolic = read_vital(obj, kDiastolicRange);
        cmd.vitals.hr = read_vital(obj, kHeartRateRange);
        cmd.vitals.spo2 = read_vital(obj, kSpo2Range);
        if (cmd.vitals.systolic && cmd.vitals.diastolic &&
            *cmd.vitals.diastolic >= *cmd.vitals.systolic)
            problems.error("diastolic", "must be below systolic (" +
                                            std::to_string(*cmd.vitals.systolic) + "), got " +
                                            std::to_string(*cmd.vitals.diastolic));
        if (auto c = obj.integer("cue", Need::Optional, 0, 100000)) cmd.cue = static_cast<int>(*c);
        if (auto s = obj.string("source")) {
            if (!is_valid_id(*s))
                problems.error("source", "expected a vitals source id (room.json vitals.sources)");
            cmd.source = *s;
        }
        if (problems.error_count() == errors_before && !cmd.vitals.systolic &&
            !cmd.vitals.diastolic && !cmd.vitals.hr && !cmd.vitals.spo2)
            problems.error("", "expected at least one of systolic, diastolic, hr, spo2");
        break;
    case CommandKind::Ack:
        if (auto c = obj.integer("cue", Need::Required, 0, 100000)) cmd.cue = static_cast<int>(*c);
        break;
    case CommandKind::TrackFailed:
        if (auto f = obj.string("file", Need::Required)) cmd.file = *f;
        break;
    case CommandKind::Observe:
        if (auto c = obj.string("code", Need::Required)) {
            if (!is_valid_id(*c) || c->size() > 24)
                problems.error("code",
                               "expected an observation code such as \"nausea\" (no free text)");
            cmd.code = *c;
        }
        break;
    case CommandKind::Discharge:
        // The therapist's own judgement, confirmed item by item (the room checks the rest).
        for (const char* item : {"sedation_resolved", "dissociation_resolved"})
            if (auto b = obj.boolean(item, Need::Required); b && !*b)
                problems.error(item, "discharge needs it confirmed (true); until then the "
                                     "patient stays monitored");
        break;
    case CommandKind::Hold:
    case CommandKind::Resume:
    case CommandKind::End:
    case CommandKind::Skip:
        break;
    }
    obj.finish();
    if (problems.error_count() != errors_before) return std::nullopt;
    return cmd;
}

Json command_args_json(const Command& cmd) {
    Json j = Json::object();
    switch (cmd.kind) {
    case CommandKind::Dose:
        if (cmd.booster) j["booster"] = true;
        if (cmd.amount_mg) // a whole number of mg stays an integer in the journal
            j["amount_mg"] = *cmd.amount_mg == std::floor(*cmd.amount_mg)
                                 ? Json(static_cast<long long>(*cmd.amount_mg))
                                 : Json(*cmd.amount_mg);
        if (!cmd.route.empty()) j["route"] = cmd.route;
        break;
    case CommandKind::Next:
        if (!cmd.phase.empty()) j["phase"] = cmd.phase;
        break;
    case CommandKind::Extend:
        j["seconds"] = static_cast<double>(cmd.amount.count()) / 1000.0;
        break;
    case CommandKind::Comfort:
    case CommandKind::LightsUp:
        j["on"] = cmd.on;
        break;
    case CommandKind::Volume:
        j[cmd.volume_how == VolumeHow::Step   ? "step_db"
          : cmd.volume_how == VolumeHow::Trim ? "trim_db"
                                              : "db"] = cmd.db;
        break;
    case CommandKind::Depth:
        j[cmd.volume_how == VolumeHow::Step   ? "step"
          : cmd.volume_how == VolumeHow::Trim ? "trim"
                                              : "level"] = cmd.depth;
        break;
    case CommandKind::Vitals:
        if (cmd.vitals.systolic) j["systolic"] = *cmd.vitals.systolic;
        if (cmd.vitals.diastolic) j["diastolic"] = *cmd.vitals.diastolic;
        if (cmd.vitals.hr) j["hr"] = *cmd.vitals.hr;
        if (cmd.vitals.spo2) j["spo2"] = *cmd.vitals.spo2;
        if (!cmd.source.empty()) j["source"] = cmd.source;
        if (cmd.cue >= 0) j["cue"] = cmd.cue;
        break;
    case CommandKind::Ack:
        j["cue"] = cmd.cue;
        break;
    case CommandKind::TrackFailed:
        j["file"] = cmd.file;
        break;
    case CommandKind::Observe:
        j["code"] = cmd.code;
        break;
    case CommandKind::Discharge:
        j["sedation_resolved"] = true;
        j["dissociation_resolved"] = true;
        break;
    case CommandKind::Hold:
    case CommandKind::Resume:
    case CommandKind::End:
    case CommandKind::Skip:
        break;
    }
    return j;
}

std::optional<StartRequest> parse_start_request(const Json& args, Problems& problems) {
    const auto errors_before = problems.error_count();
    ObjectReader obj(args, "", problems);
    if (!obj.is_object()) return std::nullopt;
    StartRequest req;
    if (auto t = obj.string("template", Need::Required)) req.template_id = *t;
    if (auto l = obj.string("label")) {
        if (!is_valid_label(*l))
            problems.error("label",
                           std::string("expected ") + kLabelRule); // never echoed: it may be a name
        req.label = *l;
    }
    obj.finish();
    if (problems.error_count() != errors_before) return std::nullopt;
    return req;
}

} // namespace stillroom
