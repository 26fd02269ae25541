// Views of a whole session for the tablet: the timeline as it now stands (GET
// /api/v1/session/timeline) and the end-of-session summary (GET /api/v1/session/summary).
// Both come from the engine itself: the past from the session's history, the future from
// the planner (engine/plan.hpp) continuing a copy of the live session. See docs/api.md.
#pragma once

#include "engine/session.hpp"
#include "library/library.hpp"

#include <vector>

namespace stillroom {

// The whole session at `now` (session time). Light targets come from the session's own
// scene snapshot; `lib` gives the room's lights in order.
Json session_timeline_json(const Session& live, Ms now, const Library& lib);

// Duration, phases with times, dose and booster, vitals, hold / comfort / lights-up
// episodes, and the report link. Meant for after End; valid at any time.
Json session_summary_json(const Session& session, Ms now);

// Each light's target (from `lights`, the session's snapshot of `scene`) when the scene
// starts at `at` with `fade`, one object per room light it names:
// {"at", "light", "scene", "fade", "on", "brightness"?, "kelvin"?, "color"?}, at `depth`
// (a light with "deep" values is between base and deep: scenes/light_depth.hpp).
std::vector<Json> scene_light_targets(const Library& lib, const std::string& scene,
                                      const SceneLights& lights, Ms at, Ms fade, double depth = 0);

} // namespace stillroom
