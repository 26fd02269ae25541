// Shared by the light tests: a scene resolved for a driver's lights, as a session's snapshot
// carries it.
#pragma once

#include "library/room_config.hpp"
#include "scenes/scene.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace stillroom::test {

inline SceneLights resolved(const std::map<std::string, Scene>& scenes, const std::string& id,
                            const std::vector<LightConfig>& lights) {
    std::set<std::string> ids;
    for (const auto& l : lights)
        ids.insert(l.id);
    return resolve_scene(scenes.at(id), ids);
}

} // namespace stillroom::test
