// What a scene asks of one light, as data the engine can carry: sessions snapshot every
// scene they can reach, resolved per light, so a session keeps its own copy (DESIGN.md,
// "a running session keeps its own copy") and drivers never read the library.
#pragma once

#include "engine/json_reader.hpp"

#include <map>
#include <optional>
#include <string>

namespace stillroom {

struct Chromaticity {
    double x = 0;
    double y = 0;
    bool operator==(const Chromaticity&) const = default;
};

// A light's values at depth 1 (a scene's "deep": {...}); what it does not give stays as
// the base value. The light is interpolated between the two at the session's depth.
struct DeepLight {
    std::optional<double> brightness; // perceived, 0..1
    std::optional<double> kelvin;
    std::optional<Chromaticity> color;
    bool operator==(const DeepLight&) const = default;
};

struct LightTarget {
    std::optional<bool> on;
    std::optional<double> brightness; // perceived, 0..1
    std::optional<double> kelvin;
    std::optional<Chromaticity> color;
    std::optional<DeepLight> deep = {}; // the values at depth 1 (scenes/light_depth.hpp)
    bool operator==(const LightTarget&) const = default;
};

// One scene resolved for the room: light id -> its target. A light not listed is left alone.
using SceneLights = std::map<std::string, LightTarget>;

Json to_json(const LightTarget& t);
Json to_json(const SceneLights& lights);
// From the journal's form; throws on a damaged record (the restore reports it).
SceneLights scene_lights_from_json(const Json& j);

} // namespace stillroom
