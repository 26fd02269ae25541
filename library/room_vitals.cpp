// room.json "vitals" (see room_vitals.hpp and docs/vitals.md).
#include "library/room_vitals.hpp"

#include "engine/time_expr.hpp"

#include <set>

namespace stillroom {

namespace {

void read_duration_in(ObjectReader& v, const char* key, Ms& out, Ms min, const char* range) {
    if (auto d = v.duration(key)) {
        if (*d < min || *d > std::chrono::minutes{10})
            v.problems().error(v.path_of(key), std::string("expected a duration ") + range);
        else
            out = *d;
    }
}

void read_mapping(ObjectReader& s, VitalsSourceConfig& c) {
    Problems& problems = s.problems();
    const bool json = c.format == VitalsFormat::JsonFields;
    const bool number = c.format == VitalsFormat::Number;
    if (s.has("fields") && !json) {
        problems.error(s.path_of("fields"), "only a \"json\" source has \"fields\"");
        s.get("fields"); // named above; not also an unknown key
    }
    if (s.has("field") && !number) {
        problems.error(s.path_of("field"), "only a \"number\" source has a \"field\"");
        s.get("field");
    }
    if (json) {
        if (auto f = s.object("fields", Need::Required)) {
            for (const char* sign : kVitalSigns) {
                if (auto path = f->string(sign)) {
                    if (path->empty() || path->front() == '.' || path->back() == '.' ||
                        path->find("..") != std::string::npos)
                        problems.error(f->path_of(sign),
                                       "expected a dotted path such as \"pulse.bpm\", got " +
                                           describe_json(Json(*path)));
                    c.mapping.fields[sign] = *path;
                }
            }
            f->finish(); // any other key is not a vital sign
            if (c.mapping.fields.empty())
                problems.error(s.path_of("fields"),
                               "expected at least one of spo2, hr, systolic, diastolic");
        }
    }
    if (number) {
        if (auto f = s.string("field", Need::Required)) {
            if (!is_vital_sign(*f))
                problems.error(s.path_of("field"),
                               "expected spo2, hr, systolic or diastolic, got " +
                                   describe_json(Json(*f)));
            c.mapping.field = *f;
        }
    }
}

} // namespace

std::optional<VitalsConfig> read_vitals(ObjectReader& v) {
    Problems& problems = v.problems();
    const auto errors_before = problems.error_count();
    VitalsConfig out;
    std::set<std::string> ids, topics;
    if (const Json* sources = v.array("sources", Need::Required)) {
        for (std::size_t i = 0; i < sources->size(); ++i) {
            ObjectReader s((*sources)[i], json_path_index(v.path_of("sources"), i), problems);
            if (!s.is_object()) continue;
            VitalsSourceConfig c;
            if (auto id = s.string("id", Need::Required)) {
                if (!is_valid_id(*id))
                    problems.error(s.path_of("id"),
                                   "expected an id of letters, digits, '-' or '_'");
                else if (!ids.insert(*id).second)
                    problems.error(s.path_of("id"), "source id \"" + *id + "\" is used twice");
                c.id = *id;
            }
            if (auto t = s.string("topic", Need::Required)) {
                if (t->empty() || t->find_first_of("+#") != std::string::npos)
                    problems.error(s.path_of("topic"), "expected a topic without wildcards");
                else if (!topics.insert(*t).second)
                    problems.error(s.path_of("topic"), "topic \"" + *t + "\" is used twice");
                c.topic = *t;
            }
            bool known_format = false;
            if (auto f = s.string("format", Need::Required)) {
                if (auto format = vitals_format_from_name(*f)) {
                    c.format = *format;
                    known_format = true;
                } else {
                    problems.error(s.path_of("format"),
                                   "expected json, number, ble-plx-continuous, ble-plx-spot or "
                                   "ble-bps, got " +
                                       describe_json(Json(*f)));
                }
            }
            if (known_format) {
                read_mapping(s, c);
            } else { // what fields mean depends on the format: one error is enough
                s.get("fields");
                s.get("field");
            }
            s.finish();
            out.sources.push_back(std::move(c));
        }
    }
    read_duration_in(v, "stale_after", out.stale_after, std::chrono::seconds{2},
                     "from 2s to 10m, such as \"10s\"");
    read_duration_in(v, "sustain", out.sustain, std::chrono::seconds{1},
                     "from 1s to 10m, such as \"10s\"");
    v.finish();
    if (problems.error_count() != errors_before) return std::nullopt;
    return out;
}

} // namespace stillroom
