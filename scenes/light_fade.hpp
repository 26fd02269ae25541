// One light's fade from one state to another over time, and how to cut a long fade into
// a few native-transition segments whose end points follow the perceptual curve.
#pragma once

#include "engine/time.hpp"
#include "scenes/colour.hpp"

#include <vector>

namespace stillroom {

struct LightFade {
    LightState from;
    LightState to;
    MonoTime start{};
    Ms length{0};

    // Along an S-curve in time, linear in L* and mireds.
    LightState at(MonoTime t) const;
    MonoTime end() const { return start + length; }
    bool done(MonoTime t) const { return t >= end(); }
};

struct FadeSegment {
    MonoTime start{};
    Ms length{0};
    LightState target; // the fade's value at start + length
};

// Cuts [from, fade end] into segments no longer than `max_segment` (at least one; a fade
// that is already over is one zero-length segment to its end state).
std::vector<FadeSegment> fade_segments(const LightFade& fade, MonoTime from, Ms max_segment);

} // namespace stillroom
