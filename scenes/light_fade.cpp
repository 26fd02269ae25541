// Light fades.
#include "scenes/light_fade.hpp"

#include "engine/s_curve.hpp"

namespace stillroom {

LightState LightFade::at(MonoTime t) const {
    if (length <= Ms{0} || t >= end()) return to;
    if (t <= start) return interpolate(from, to, 0.0);
    const double x = static_cast<double>((t - start).count()) / static_cast<double>(length.count());
    return interpolate(from, to, s_curve(x));
}

std::vector<FadeSegment> fade_segments(const LightFade& fade, MonoTime from, Ms max_segment) {
    std::vector<FadeSegment> out;
    const MonoTime end = fade.end();
    if (from >= end || max_segment <= Ms{0}) {
        out.push_back({from, Ms{0}, fade.to});
        return out;
    }
    const Ms remaining = end - from;
    const auto count = (remaining.count() + max_segment.count() - 1) / max_segment.count();
    const Ms each{remaining.count() / count};
    MonoTime t = from;
    for (Ms::rep i = 0; i < count; ++i) {
        const MonoTime seg_end = i + 1 == count ? end : t + each;
        out.push_back({t, seg_end - t, fade.at(seg_end)});
        t = seg_end;
    }
    return out;
}

} // namespace stillroom
