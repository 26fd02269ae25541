// Time types shared by the engine and everything above it.
// Durations are milliseconds in a std::chrono type. Points carry their clock domain in the
// type (see engine/clock.hpp): a session time (MonoTime) and a device time (DeviceTime)
// cannot be subtracted, compared or mixed without an explicit conversion.
#pragma once

#include <chrono>
#include <cstdint>

namespace stillroom {

using Ms = std::chrono::milliseconds;

// A clock domain: shaped like a std::chrono clock (rep, period, duration, time_point) but
// with no now(); only a Clock object reads time. Two domains are two distinct types, so
// std::chrono refuses `DeviceTime - MonoTime` at compile time.
template <class Name> struct ClockDomain {
    using rep = Ms::rep;
    using period = Ms::period;
    using duration = Ms;
    using time_point = std::chrono::time_point<ClockDomain, Ms>;
    static constexpr bool is_steady = true;
};

using SessionDomain = ClockDomain<struct SessionDomainName>;
using DeviceDomain = ClockDomain<struct DeviceDomainName>;

// A point on the room's session clock (the engine's time: real, sped up in the demo, or
// moved by hand in tests). Monotonic: it survives wall-clock jumps.
using MonoTime = SessionDomain::time_point;
// A point on the device clock: real monotonic time, whatever the session clock does. For
// deadlines, retries and pacing that talk to devices, peers and people (sink watchdog,
// reconnect backoff, decoder pacing, login expiry in real time).
using DeviceTime = DeviceDomain::time_point;

inline constexpr Ms kZeroMs{0};

// Seconds as a double, for display and JSON output only (never for arithmetic).
inline double to_seconds(Ms d) {
    return static_cast<double>(d.count()) / 1000.0;
}

} // namespace stillroom
