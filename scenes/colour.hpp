// Colour and brightness maths for lights: colour temperature in kelvin and mireds, CIE 1931
// xy chromaticity, and perceived brightness (CIE L*) against linear light output.
#pragma once

#include "scenes/scene.hpp"

namespace stillroom {

double kelvin_to_mired(double kelvin);
double mired_to_kelvin(double mired);

// A point on the Planckian locus (Kim et al. cubic spline, 1667 K to 25000 K; clamped).
Chromaticity kelvin_to_xy(double kelvin);
// Correlated colour temperature of a chromaticity (McCamy), clamped to 1000..25000 K.
double xy_to_kelvin(Chromaticity xy);

// Perceived brightness (CIE L* / 100, 0..1) to relative luminance (0..1) and back.
double perceived_to_linear(double perceived);
double linear_to_perceived(double linear);

// sRGB (0..255 each) for a chromaticity at full brightness, for RGB-only lights (WLED).
struct Rgb {
    int r = 0, g = 0, b = 0;
};
Rgb xy_to_rgb(Chromaticity xy);

// What a light should be. brightness is perceived (0..1); exactly one of kelvin/xy or none.
struct LightState {
    bool on = false;
    double brightness = 0;
    std::optional<double> kelvin;
    std::optional<Chromaticity> xy;
    bool operator==(const LightState&) const = default;
};

// A scene's target for one light, or nullopt when the scene leaves the light alone.
std::optional<LightState> light_state_for(const Scene& scene, const std::string& light_id,
                                          const LightState& current);
// One light's state for its (resolved) target, from where it is now.
LightState light_state_for(const LightTarget& target, const LightState& current);

// The state along a fade at progress x (0..1, already shaped): brightness linear in L*,
// colour temperature linear in mireds, xy linear. Off lights fade through brightness 0.
LightState interpolate(const LightState& from, const LightState& to, double x);

} // namespace stillroom
