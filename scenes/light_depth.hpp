// Light follows depth: a scene light's "deep" values are what it reaches at depth 1; at
// depth d its target lies between base and deep, perceptually (docs/scenes.md "Depth").
#pragma once

#include "engine/light_target.hpp"

namespace stillroom {

// The target at `depth` (clamped to 0..1), without "deep": brightness linear in perceived
// brightness (L*), colour temperature linear in mireds, colour linear in CIE xy (a kelvin
// on one side and a colour on the other meet in xy). A value the base does not give is not
// interpolated (the deep one is ignored); a target without "deep" is returned as it is.
LightTarget at_depth(const LightTarget& target, double depth);

// Every light of a resolved scene at `depth`.
SceneLights at_depth(const SceneLights& lights, double depth);

} // namespace stillroom
