// The only file that reads the system's clocks or sleeps (STYLE.md habit 2;
// scripts/check-clock.sh enforces it).
#include "engine/clock.hpp"

namespace stillroom {

namespace {

template <class Time> Time steady_now() {
    return Time{
        std::chrono::duration_cast<Ms>(std::chrono::steady_clock::now().time_since_epoch())};
}

// A domain time as the standard steady clock's point (both count from the same epoch).
template <class Time> std::chrono::steady_clock::time_point as_steady(Time t) {
    return std::chrono::steady_clock::time_point{
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(t.time_since_epoch())};
}

constexpr Ms kManualPause{2}; // a waiting thread on a manual clock looks again this often

} // namespace

template <class Time> Time BasicSteadyClock<Time>::now() const {
    return steady_now<Time>();
}

template <class Time> void BasicSteadyClock<Time>::sleep_until(Time deadline, Wakeup& wakeup) {
    std::unique_lock lock(wakeup.mutex_);
    wakeup.cv_.wait_until(lock, as_steady(deadline), [&] { return wakeup.woken_; });
    wakeup.woken_ = false;
}

template <class Time> std::int64_t BasicSteadyClock<Time>::wall_unix_ms() const {
    return std::chrono::duration_cast<Ms>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

template <class Time> void BasicManualClock<Time>::sleep_until(Time deadline, Wakeup& wakeup) {
    std::unique_lock lock(wakeup.mutex_);
    if (!wakeup.woken_ && now() < deadline)
        wakeup.cv_.wait_until(lock, std::chrono::steady_clock::now() + kManualPause,
                              [&] { return wakeup.woken_; });
    wakeup.woken_ = false;
}

template class BasicSteadyClock<MonoTime>;
template class BasicSteadyClock<DeviceTime>;
template class BasicManualClock<MonoTime>;
template class BasicManualClock<DeviceTime>;

// Scaled time is the monotonic clock times the speed: the same in every process of one
// boot, so an accelerated session resumes after a kill exactly as a real one does.
ScaledClock::ScaledClock(double speed) : speed_(speed > 0 ? speed : 1) {}

MonoTime ScaledClock::now() const {
    return MonoTime{Ms{static_cast<Ms::rep>(
        static_cast<double>(inner_.now().time_since_epoch().count()) * speed_)}};
}

void ScaledClock::sleep_until(MonoTime deadline, Wakeup& wakeup) {
    inner_.wait_until(MonoTime{Ms{static_cast<Ms::rep>(
                          static_cast<double>(deadline.time_since_epoch().count()) / speed_)}},
                      wakeup);
}

// The real wall clock, not sped up: the record's clock times are the room's real times
// (docs/report.md). After a reboot mid-session a sped-up session is bridged by real time.
std::int64_t ScaledClock::wall_unix_ms() const {
    return inner_.wall_unix_ms();
}

} // namespace stillroom

#include "engine/realtime_sleep.hpp"

#include <cerrno>
#include <ctime>

namespace stillroom {

std::chrono::steady_clock::time_point realtime_now() {
    return std::chrono::steady_clock::now();
}

void realtime_sleep_until(std::chrono::steady_clock::time_point deadline) {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

} // namespace stillroom
