// Light targets at a depth.
#include "scenes/light_depth.hpp"

#include "scenes/colour.hpp"

#include <algorithm>

namespace stillroom {

namespace {

double lerp(double a, double b, double x) {
    return a + (b - a) * x;
}

Chromaticity lerp(Chromaticity a, Chromaticity b, double x) {
    return {lerp(a.x, b.x, x), lerp(a.y, b.y, x)};
}

} // namespace

LightTarget at_depth(const LightTarget& target, double depth) {
    LightTarget out = target;
    out.deep.reset();
    if (!target.deep) return out;
    const DeepLight& deep = *target.deep;
    const double x = std::clamp(depth, 0.0, 1.0);
    if (target.brightness && deep.brightness)
        out.brightness = lerp(*target.brightness, *deep.brightness, x);
    if (target.kelvin && deep.kelvin) {
        out.kelvin = mired_to_kelvin(
            lerp(kelvin_to_mired(*target.kelvin), kelvin_to_mired(*deep.kelvin), x));
    } else if ((target.kelvin || target.color) && (deep.kelvin || deep.color)) {
        const Chromaticity from = target.color ? *target.color : kelvin_to_xy(*target.kelvin);
        const Chromaticity to = deep.color ? *deep.color : kelvin_to_xy(*deep.kelvin);
        if (x <= 0) return out; // exactly the base, as the scene says it
        out.kelvin.reset();
        out.color = lerp(from, to, x);
    }
    return out;
}

SceneLights at_depth(const SceneLights& lights, double depth) {
    SceneLights out;
    for (const auto& [id, t] : lights)
        out[id] = at_depth(t, depth);
    return out;
}

} // namespace stillroom
