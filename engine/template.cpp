// Loading and checking session templates.
#include "engine/template.hpp"

#include "engine/library_path.hpp"

#include "engine/commands.hpp"
#include <algorithm>
#include <cstdio>

#include "engine/duration.hpp"
#include "engine/observations.hpp"
#include "engine/report_forms.hpp"

namespace stillroom {

const char* to_string(PhaseEnd e) {
    switch (e) {
    case PhaseEnd::Time:
        return "time";
    case PhaseEnd::Dose:
        return "dose";
    case PhaseEnd::Therapist:
        return "therapist";
    }
    return "time";
}

int SessionTemplate::phase_index(const std::string& phase_id) const {
    for (std::size_t i = 0; i < phases.size(); ++i)
        if (phases[i].id == phase_id) return static_cast<int>(i);
    return -1;
}

int SessionTemplate::dose_phase_index() const {
    for (std::size_t i = 0; i < phases.size(); ++i)
        if (phases[i].until == PhaseEnd::Dose) return static_cast<int>(i);
    return -1;
}

Ms SessionTemplate::planned_length() const {
    Ms total{0};
    for (const auto& p : phases)
        total += p.duration;
    return total;
}

namespace {

// "+6 dB", "+0.5 dB": a cue's gain as users write it.
std::string gain_text(double db) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%+g dB", db);
    return buf;
}

std::string known_list(const std::set<std::string>& names) {
    if (names.empty()) return "none defined";
    std::string out = "known:";
    int n = 0;
    for (const auto& s : names) {
        if (n++ == 12) {
            out += " ...";
            break;
        }
        out += " " + s;
    }
    return out;
}

struct RefChecker {
    const LibraryRefs* refs;
    Problems& problems;

    void playlist(const std::string& path, const std::string& name) const {
        if (refs && !refs->playlists.count(name))
            problems.error(path, "no playlist \"" + name + "\" in playlists/ (" +
                                     known_list(refs->playlists) + ")");
    }
    void scene(const std::string& path, const std::string& name) const {
        if (name == kBrightScene) return;
        if (refs && !refs->scenes.count(name))
            problems.error(path, "no scene \"" + name + "\" in scenes/ (" +
                                     known_list(refs->scenes) + ")");
    }
    void sound(const std::string& path, const std::string& file) const {
        if (const std::string why = library_path_problem(file); !why.empty())
            problems.error(path, "audio file \"" + file + "\" " + why);
        else if (refs && refs->file_readable && !refs->file_readable(file))
            problems.error(path, "audio file \"" + file + "\" is missing or unreadable");
    }
    void midi_output(const std::string& path, const std::string& id) const {
        if (!refs) return;
        if (!refs->midi_configured) {
            problems.error(path,
                           "MIDI output \"" + id + "\", but room.json has no \"midi\" section");
        } else if (!refs->midi_outputs.count(id)) {
            problems.error(path, "no MIDI output \"" + id + "\" in room.json midi.outputs (" +
                                     known_list(refs->midi_outputs) + ")");
        }
    }
};

std::optional<std::string> read_id(ObjectReader& obj, std::string_view key, Need need) {
    auto s = obj.string(key, need);
    if (s && !is_valid_id(*s)) {
        obj.problems().error(obj.path_of(key),
                             "expected an id of letters, digits, '-' or '_', got " +
                                 describe_json(Json(*s)));
        return std::nullopt;
    }
    return s;
}

std::optional<Phase> read_phase(ObjectReader& obj, const RefChecker& refs) {
    Problems& problems = obj.problems();
    const auto errors_before = problems.error_count();
    Phase phase;
    if (auto id = read_id(obj, "id", Need::Required)) phase.id = *id;
    phase.name = obj.string("name").value_or(phase.id);
    if (auto until = obj.string("until")) {
        if (*until == "time")
            phase.until = PhaseEnd::Time;
        else if (*until == "dose")
            phase.until = PhaseEnd::Dose;
        else if (*until == "therapist")
            phase.until = PhaseEnd::Therapist;
        else
            problems.error(obj.path_of("until"),
                           "expected \"time\", \"dose\" or \"therapist\", got " +
                               describe_json(Json(*until)));
    }
    if (auto d = obj.duration("duration", Need::Required)) {
        if (*d <= Ms{0})
            problems.error(obj.path_of("duration"), "a phase must last longer than 0s");
        phase.duration = *d;
    }
    if (auto p = read_id(obj, "playlist", Need::Optional)) {
        refs.playlist(obj.path_of("playlist"), *p);
        phase.playlist = p;
    }
    if (auto s = read_id(obj, "scene", Need::Optional)) {
        refs.scene(obj.path_of("scene"), *s);
        phase.scene = s;
    }
    phase.fade = obj.duration("fade");
    phase.crossfade = obj.duration("crossfade");
    phase.volume_db = obj.number("volume_db", Need::Optional, kMinVolumeDb, 0);
    phase.depth = obj.number("depth", Need::Optional, 0, 1);
    obj.finish();
    if (problems.error_count() != errors_before) return std::nullopt;
    return phase;
}

void read_midi(ObjectReader& obj, Cue& cue, const RefChecker& refs) {
    auto midi = obj.object("midi");
    if (!midi) return;
    MidiCue m;
    if (auto out = midi->string("output", Need::Required)) {
        refs.midi_output(midi->path_of("output"), *out);
        m.output = *out;
    }
    bool ok = true;
    if (const Json* bytes = midi->array("bytes", Need::Required)) {
        if (bytes->empty() || bytes->size() > 1024) {
            obj.problems().error(midi->path_of("bytes"), "expected 1 to 1024 bytes");
            ok = false;
        }
        for (std::size_t i = 0; i < bytes->size(); ++i) {
            const Json& b = (*bytes)[i];
            if (!b.is_number_integer() || b.get<long long>() < 0 || b.get<long long>() > 255) {
                obj.problems().error(json_path_index(midi->path_of("bytes"), i),
                                     "expected a byte from 0 to 255, got " + describe_json(b));
                ok = false;
            } else {
                m.bytes.push_back(static_cast<std::uint8_t>(b.get<int>()));
            }
        }
        if (ok && !m.bytes.empty() && m.bytes[0] < 0x80) {
            obj.problems().error(json_path_index(midi->path_of("bytes"), 0),
                                 "a MIDI message must start with a status byte (128 to 255)");
            ok = false;
        }
    } else {
        ok = false;
    }
    midi->finish();
    if (ok) cue.midi = std::move(m);
}

void read_mqtt(ObjectReader& obj, Cue& cue) {
    auto mqtt = obj.object("mqtt");
    if (!mqtt) return;
    MqttCue m;
    bool ok = true;
    if (auto topic = mqtt->string("topic", Need::Required)) {
        if (topic->empty() || topic->size() > 256 ||
            topic->find_first_of("+#") != std::string::npos || topic->front() == '$') {
            obj.problems().error(mqtt->path_of("topic"),
                                 "expected an MQTT topic without wildcards, got " +
                                     describe_json(Json(*topic)));
            ok = false;
        }
        m.topic = *topic;
    } else {
        ok = false;
    }
    if (const Json* payload = mqtt->get("payload", Need::Required)) {
        m.payload = payload->is_string() ? payload->get<std::string>() : payload->dump();
    } else {
        ok = false;
    }
    m.retain = mqtt->boolean("retain").value_or(false);
    mqtt->finish();
    if (ok) cue.mqtt = std::move(m);
}

std::optional<Cue> read_cue(ObjectReader& obj, const RefChecker& refs) {
    Problems& problems = obj.problems();
    const auto errors_before = problems.error_count();
    Cue cue;
    if (auto at = obj.string("at", Need::Required)) {
        std::string why;
        if (auto expr = parse_time_expr(*at, &why)) {
            cue.at = *expr;
        } else {
            problems.error(obj.path_of("at"), "expected a time like \"dose+15m\", \"start+0s\" or "
                                              "\"phase:peak+2m\" (" +
                                                  why + "), got " + describe_json(Json(*at)));
        }
    } else if (obj.has("at")) {
        // wrong type already reported
    }
    if (auto remind = obj.string("remind")) {
        if (remind->empty() || remind->size() > 200)
            problems.error(obj.path_of("remind"), "expected a reminder of 1 to 200 characters");
        cue.remind = remind;
    }
    cue.vitals = obj.boolean("vitals").value_or(false);
    if (cue.vitals && !cue.remind) cue.remind = "Record vitals";
    cue.volume_db = obj.number("volume_db", Need::Optional, kMinVolumeDb, 0);
    cue.depth = obj.number("depth", Need::Optional, 0, 1);
    cue.ramp = obj.duration("ramp");
    if (cue.ramp && !obj.has("volume_db") && !obj.has("depth"))
        problems.error(obj.path_of("ramp"), "\"ramp\" goes with \"volume_db\" or \"depth\"");
    if (auto sound = obj.string("sound")) {
        refs.sound(obj.path_of("sound"), *sound);
        cue.sound = sound;
    }
    cue.louder_than_music = obj.boolean("louder_than_music").value_or(false);
    if (obj.has("louder_than_music") && !obj.has("sound"))
        problems.error(obj.path_of("louder_than_music"),
                       "\"louder_than_music\" goes with \"sound\"");
    if (auto g = obj.number("gain_db", Need::Optional, kMinVolumeDb, kMaxGainDb)) {
        cue.gain_db = *g;
        if (!obj.has("sound"))
            problems.error(obj.path_of("gain_db"), "\"gain_db\" goes with \"sound\"");
        // A sound plays at the music's level plus gain_db: above 0 it would startle.
        else if (*g > 0 && !cue.louder_than_music)
            problems.error(
                obj.path_of("gain_db"),
                "a sound's gain_db is relative to the music playing at that moment (0 = as "
                "loud); " +
                    gain_text(*g) +
                    " would play it louder than the music: lower it, or add \"louder_than_music\": "
                    "true to the cue to mean it");
    }
    if (auto scene = read_id(obj, "scene", Need::Optional)) {
        refs.scene(obj.path_of("scene"), *scene);
        cue.scene = scene;
    }
    cue.fade = obj.duration("fade");
    if (cue.fade && !obj.has("scene"))
        problems.error(obj.path_of("fade"), "\"fade\" goes with \"scene\"");
    if (auto playlist = read_id(obj, "playlist", Need::Optional)) {
        refs.playlist(obj.path_of("playlist"), *playlist);
        cue.playlist = playlist;
    }
    read_midi(obj, cue, refs);
    read_mqtt(obj, cue);
    const bool has_action = cue.remind || cue.volume_db || cue.depth || cue.sound || cue.scene ||
                            cue.playlist || obj.has("midi") || obj.has("mqtt");
    if (!has_action && obj.is_object())
        problems.error(obj.path(), "a cue needs something to do: remind, volume_db, depth, sound, "
                                   "scene, playlist, midi or mqtt");
    obj.finish();
    if (problems.error_count() != errors_before) return std::nullopt;
    return cue;
}

Overlay read_overlay(ObjectReader& obj, const RefChecker& refs, Overlay defaults) {
    Overlay o = defaults;
    if (auto p = read_id(obj, "playlist", Need::Optional)) {
        refs.playlist(obj.path_of("playlist"), *p);
        o.playlist = p;
    }
    if (auto s = read_id(obj, "scene", Need::Optional)) {
        refs.scene(obj.path_of("scene"), *s);
        o.scene = s;
    }
    if (auto f = obj.duration("fade")) o.fade = *f;
    if (auto v = obj.number("volume_offset_db", Need::Optional, -60, 0)) o.volume_offset_db = *v;
    obj.finish();
    return o;
}

// "record" (a form from report_forms.cpp) and "observations" (codes the tablet offers).
void read_record_keys(ObjectReader& root, SessionTemplate& t) {
    Problems& problems = root.problems();
    if (auto r = root.string("record")) {
        if (find_form(*r)) {
            t.record = *r;
        } else {
            std::string known;
            for (const auto& id : form_ids())
                known += (known.empty() ? "" : ", ") + id;
            problems.error(root.path_of("record"), "expected one of the record forms (" + known +
                                                       "), got " + describe_json(Json(*r)));
        }
    }
    t.observations = default_observations();
    if (const Json* list = root.array("observations")) {
        t.observations.clear();
        if (list->empty() || list->size() > kMaxObservationCodes)
            problems.error(root.path_of("observations"), "expected 1 to " +
                                                             std::to_string(kMaxObservationCodes) +
                                                             " observation codes");
        for (std::size_t i = 0; i < list->size(); ++i) {
            const Json& code = (*list)[i];
            const std::string path = json_path_index(root.path_of("observations"), i);
            if (!code.is_string() || !is_valid_id(code.get<std::string>()) ||
                code.get<std::string>().size() > 24) {
                problems.error(
                    path,
                    "expected a short code of letters, digits, '-' or '_' (no free text), got " +
                        describe_json(code));
            } else if (std::find(t.observations.begin(), t.observations.end(),
                                 code.get<std::string>()) != t.observations.end()) {
                problems.error(path, "\"" + code.get<std::string>() + "\" is listed twice");
            } else {
                t.observations.push_back(code.get<std::string>());
            }
        }
    }
}

// The form a template names asks about observations the template must offer.
void check_record_form(const SessionTemplate& t, Problems& problems) {
    if (!t.record) return;
    const FormSpec* form = find_form(*t.record);
    for (const auto& code : form->observations) {
        if (std::find(t.observations.begin(), t.observations.end(), code) == t.observations.end())
            problems.error("observations", "the \"" + *t.record + "\" record asks about \"" + code +
                                               "\": add it to \"observations\"");
    }
}

void check_phase_structure(const SessionTemplate& t, Problems& problems) {
    std::set<std::string> seen;
    int dose_phases = 0;
    for (std::size_t i = 0; i < t.phases.size(); ++i) {
        const auto& p = t.phases[i];
        const auto path = json_path_index("phases", i);
        if (!seen.insert(p.id).second)
            problems.error(json_path_key(path, "id"), "phase id \"" + p.id + "\" is used twice");
        if (p.until == PhaseEnd::Dose && ++dose_phases > 1)
            problems.error(json_path_key(path, "until"),
                           "only one phase can end with the dose (\"until\": \"dose\")");
    }
    if (!t.phases.empty() && !t.phases.front().playlist)
        problems.warning("phases[0].playlist",
                         "the first phase has no playlist: the room starts silent");
    if (!t.phases.empty() && !t.phases.front().scene)
        problems.warning("phases[0].scene",
                         "the first phase has no scene: the lights stay as they are");
}

} // namespace

std::optional<SessionTemplate> load_template(const Json& json, const std::string& id,
                                             Problems& problems, const LibraryRefs* refs) {
    const auto errors_before = problems.error_count();
    RefChecker checker{refs, problems};
    SessionTemplate t;
    t.id = id;
    ObjectReader root(json, "", problems);
    if (!root.is_object()) return std::nullopt;
    if (auto name = root.string("name", Need::Required)) t.name = *name;
    t.description = root.string("description").value_or("");
    read_record_keys(root, t);
    if (const Json* phases = root.array("phases", Need::Required)) {
        if (phases->empty()) problems.error("phases", "a session needs at least one phase");
        for (std::size_t i = 0; i < phases->size(); ++i) {
            ObjectReader obj((*phases)[i], json_path_index("phases", i), problems);
            if (!obj.is_object()) continue;
            if (auto phase = read_phase(obj, checker)) t.phases.push_back(std::move(*phase));
        }
    }
    if (const Json* cues = root.array("cues")) {
        for (std::size_t i = 0; i < cues->size(); ++i) {
            ObjectReader obj((*cues)[i], json_path_index("cues", i), problems);
            if (!obj.is_object()) continue;
            if (auto cue = read_cue(obj, checker)) t.cues.push_back(std::move(*cue));
        }
    }
    if (auto b = root.object("booster")) {
        Booster booster;
        if (auto ext = read_id(*b, "extend", Need::Required)) booster.extend = *ext;
        if (auto by = b->duration("by", Need::Required)) booster.by = *by;
        b->finish();
        t.booster = booster;
    }
    if (auto c = root.object("comfort"))
        t.comfort = read_overlay(*c, checker, Overlay{{}, {}, std::chrono::seconds{60}, -6});
    else
        t.comfort = Overlay{{}, {}, std::chrono::seconds{60}, -6};
    if (auto l = root.object("lights_up"))
        t.lights_up =
            read_overlay(*l, checker, Overlay{{}, kBrightScene, std::chrono::seconds{3}, -20});
    else
        t.lights_up = Overlay{{}, kBrightScene, std::chrono::seconds{3}, -20};
    if (auto e = root.object("end")) {
        if (auto s = read_id(*e, "scene", Need::Optional)) {
            checker.scene(e->path_of("scene"), *s);
            t.end.scene = s;
        }
        if (auto f = e->duration("fade")) t.end.fade = *f;
        e->finish();
    }
    if (auto v = root.object("vitals")) {
        if (auto a = v->object("alert")) {
            auto limit = [&](std::string_view key, int& field, const VitalRange& range) {
                if (auto n = a->integer(key, Need::Optional, range.min, range.max))
                    field = static_cast<int>(*n);
            };
            limit("systolic_max", t.vitals_alert.systolic_max, kSystolicRange);
            limit("diastolic_max", t.vitals_alert.diastolic_max, kDiastolicRange);
            limit("hr_min", t.vitals_alert.hr_min, kHeartRateRange);
            limit("hr_max", t.vitals_alert.hr_max, kHeartRateRange);
            limit("spo2_min", t.vitals_alert.spo2_min, kSpo2Range);
            a->finish();
            if (t.vitals_alert.hr_min >= t.vitals_alert.hr_max)
                problems.error("vitals.alert.hr_min", "must be below hr_max");
        }
        v->finish();
    }
    if (auto d = root.object("dose")) read_dose_spec(*d, t.dose);
    if (auto m = root.object("monitoring")) read_monitoring_spec(*m, t.monitoring);
    root.finish();

    // Cross-references inside the template; only meaningful when all phases loaded.
    if (problems.error_count() == errors_before) {
        check_phase_structure(t, problems);
        check_record_form(t, problems);
        // Cues keep their template order; the index in t.cues matches the file's.
        for (std::size_t i = 0; i < t.cues.size(); ++i) {
            const auto& at = t.cues[i].at;
            if (at.anchor == AnchorKind::Phase && t.phase_index(at.phase_id) < 0)
                problems.error(json_path_key(json_path_index("cues", i), "at"),
                               "no phase \"" + at.phase_id + "\" in this session");
        }
        if (t.booster) {
            const int target = t.phase_index(t.booster->extend);
            const int dose = t.dose_phase_index();
            if (target < 0)
                problems.error("booster.extend",
                               "no phase \"" + t.booster->extend + "\" in this session");
            else if (dose >= 0 && target <= dose)
                problems.error("booster.extend", "the booster is given after the dose, so it must "
                                                 "extend a phase after \"" +
                                                     t.phases[dose].id + "\"");
            if (t.booster->by <= Ms{0}) problems.error("booster.by", "must be longer than 0s");
        }
    }
    if (problems.error_count() != errors_before) return std::nullopt;
    return t;
}

} // namespace stillroom
