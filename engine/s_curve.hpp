// The one S-curve (smoothstep) that every fade in the room follows: the session volume and
// output gains in dB (engine and mixer), light fades (scenes). No corner at either end, and
// it never leaves [from, to], so a ramp between two levels under a ceiling stays under it.
// Header-only and allocation-free: the mixer calls it on the audio thread.
#pragma once

namespace stillroom {

// Progress x (clamped to 0..1) shaped along the S-curve.
template <class T> constexpr T s_curve(T x) {
    return x <= T(0) ? T(0) : x >= T(1) ? T(1) : x * x * (T(3) - T(2) * x);
}

// The value at progress x of a ramp from `from` to `to` along the S-curve.
template <class T> constexpr T along_s_curve(T from, T to, T x) {
    return from + (to - from) * s_curve(x);
}

} // namespace stillroom
