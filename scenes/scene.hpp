// Scenes (scenes/NAME.json): each light's target. "*" applies to every light; a light's own
// entry overrides it. Brightness 0..1 is *perceived* brightness (CIE L*), not duty cycle.
#pragma once

#include "engine/json_reader.hpp"
#include "engine/light_target.hpp"
#include "engine/problems.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>

namespace stillroom {

struct Scene {
    std::string id;
    std::string name;
    std::optional<Ms> fade;                    // default fade into this scene
    std::map<std::string, LightTarget> lights; // light id or "*"

    // The target for one light: "*" overlaid with the light's own entry.
    std::optional<LightTarget> target_for(const std::string& light_id) const;
};

// With `light_ids`, every named light must exist in room.json.
std::optional<Scene> load_scene(const Json& json, const std::string& id, Problems& problems,
                                const std::set<std::string>* light_ids = nullptr);

// The scene resolved for the room's lights ("*" overlaid with each light's own entry).
SceneLights resolve_scene(const Scene& scene, const std::set<std::string>& light_ids);

// The built-in "@bright" scene: every light on at full brightness, 4000 K.
Scene bright_scene();

} // namespace stillroom
