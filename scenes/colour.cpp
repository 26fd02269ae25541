// Colour maths.
#include "scenes/colour.hpp"

#include <algorithm>
#include <cmath>

namespace stillroom {

double kelvin_to_mired(double kelvin) {
    return 1e6 / std::max(kelvin, 1.0);
}
double mired_to_kelvin(double mired) {
    return 1e6 / std::max(mired, 1.0);
}

Chromaticity kelvin_to_xy(double kelvin) {
    const double t = std::clamp(kelvin, 1667.0, 25000.0);
    const double t2 = t * t, t3 = t2 * t;
    double x;
    if (t <= 4000)
        x = -0.2661239e9 / t3 - 0.2343589e6 / t2 + 0.8776956e3 / t + 0.179910;
    else
        x = -3.0258469e9 / t3 + 2.1070379e6 / t2 + 0.2226347e3 / t + 0.240390;
    const double x2 = x * x, x3 = x2 * x;
    double y;
    if (t <= 2222)
        y = -1.1063814 * x3 - 1.34811020 * x2 + 2.18555832 * x - 0.20219683;
    else if (t <= 4000)
        y = -0.9549476 * x3 - 1.37418593 * x2 + 2.09137015 * x - 0.16748867;
    else
        y = 3.0817580 * x3 - 5.87338670 * x2 + 3.75112997 * x - 0.37001483;
    return {x, y};
}

double xy_to_kelvin(Chromaticity c) {
    const double n = (c.x - 0.3320) / (0.1858 - c.y);
    const double cct = 449 * n * n * n + 3525 * n * n + 6823.3 * n + 5520.33;
    return std::clamp(cct, 1000.0, 25000.0);
}

double perceived_to_linear(double p) {
    const double l = std::clamp(p, 0.0, 1.0) * 100.0;
    if (l <= 8.0) return l / 903.3;
    const double f = (l + 16.0) / 116.0;
    return f * f * f;
}

double linear_to_perceived(double y) {
    y = std::clamp(y, 0.0, 1.0);
    const double l = y <= 0.008856 ? 903.3 * y : 116.0 * std::cbrt(y) - 16.0;
    return std::clamp(l / 100.0, 0.0, 1.0);
}

Rgb xy_to_rgb(Chromaticity c) {
    const double y_lum = 1.0;
    const double x = y_lum / c.y * c.x;
    const double z = y_lum / c.y * (1 - c.x - c.y);
    double r = 3.2406 * x - 1.5372 * y_lum - 0.4986 * z;
    double g = -0.9689 * x + 1.8758 * y_lum + 0.0415 * z;
    double b = 0.0557 * x - 0.2040 * y_lum + 1.0570 * z;
    const double m = std::max({r, g, b, 1e-9});
    auto gamma = [&](double v) {
        v = std::clamp(v / m, 0.0, 1.0);
        v = v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1 / 2.4) - 0.055;
        return static_cast<int>(std::lround(v * 255));
    };
    return {gamma(r), gamma(g), gamma(b)};
}

std::optional<LightState> light_state_for(const Scene& scene, const std::string& light_id,
                                          const LightState& current) {
    auto t = scene.target_for(light_id);
    if (!t) return std::nullopt;
    return light_state_for(*t, current);
}

LightState light_state_for(const LightTarget& target, const LightState& current) {
    const LightTarget* t = &target;
    LightState s = current;
    const bool turning_on = t->on.value_or(t->brightness.has_value() || t->kelvin || t->color);
    s.on = turning_on;
    if (!turning_on) return s; // colour and brightness kept for the fade down
    if (t->brightness)
        s.brightness = *t->brightness;
    else if (!current.on)
        s.brightness = 1.0;
    if (t->kelvin) {
        s.kelvin = t->kelvin;
        s.xy.reset();
    }
    if (t->color) {
        s.xy = t->color;
        s.kelvin.reset();
    }
    return s;
}

LightState interpolate(const LightState& from, const LightState& to, double x) {
    x = std::clamp(x, 0.0, 1.0);
    LightState s;
    const double b0 = from.on ? from.brightness : 0.0;
    const double b1 = to.on ? to.brightness : 0.0;
    s.brightness = b0 + (b1 - b0) * x;
    // On as soon as it starts rising from off; off only at the very end of a fade down.
    s.on = x >= 1.0 ? to.on : (from.on || to.on);
    if (s.on && s.brightness <= 0 && x < 1.0 && !to.on) s.brightness = 0;
    // Colour: both sides in kelvin -> mireds; otherwise in xy.
    const bool from_ct = from.kelvin.has_value(), to_ct = to.kelvin.has_value();
    if (from_ct && to_ct) {
        const double m0 = kelvin_to_mired(*from.kelvin), m1 = kelvin_to_mired(*to.kelvin);
        s.kelvin = mired_to_kelvin(m0 + (m1 - m0) * x);
    } else if ((from_ct || from.xy) && (to_ct || to.xy)) {
        const Chromaticity c0 = from.xy ? *from.xy : kelvin_to_xy(*from.kelvin);
        const Chromaticity c1 = to.xy ? *to.xy : kelvin_to_xy(*to.kelvin);
        s.xy = Chromaticity{c0.x + (c1.x - c0.x) * x, c0.y + (c1.y - c0.y) * x};
        if (x >= 1.0 && to_ct) {
            s.xy.reset();
            s.kelvin = to.kelvin;
        }
    } else {
        s.kelvin = to_ct ? to.kelvin : from.kelvin;
        s.xy = to.xy ? to.xy : from.xy;
        if (s.kelvin && s.xy) s.xy.reset();
    }
    return s;
}

} // namespace stillroom
