// The only file that reads the system's monotonic clock or sleeps (STYLE.md habit 2).
#include "engine/clock.hpp"

namespace stillroom {

MonoTime SteadyClock::now() const {
    return std::chrono::time_point_cast<Ms>(std::chrono::steady_clock::now());
}

void SteadyClock::wait_until(MonoTime deadline) {
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, deadline, [this] { return woken_; });
    woken_ = false;
}

void SteadyClock::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    cv_.notify_all();
}

std::int64_t SteadyClock::wall_unix_ms() const {
    return std::chrono::duration_cast<Ms>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Scaled time is the monotonic clock times the speed: the same in every process of one
// boot, so an accelerated session resumes after a kill exactly as a real one does.
ScaledClock::ScaledClock(double speed) : speed_(speed > 0 ? speed : 1) {}

MonoTime ScaledClock::now() const {
    return MonoTime{Ms{static_cast<Ms::rep>(static_cast<double>(inner_.now().time_since_epoch().count()) * speed_)}};
}

void ScaledClock::wait_until(MonoTime deadline) {
    inner_.wait_until(MonoTime{Ms{static_cast<Ms::rep>(static_cast<double>(deadline.time_since_epoch().count()) / speed_)}});
}

std::int64_t ScaledClock::wall_unix_ms() const {
    return inner_.wall_unix_ms() + (now() - inner_.now()).count();
}

} // namespace stillroom

#include "engine/realtime_sleep.hpp"

#include <cerrno>
#include <ctime>

namespace stillroom {

std::chrono::steady_clock::time_point realtime_now() { return std::chrono::steady_clock::now(); }

void realtime_sleep_until(std::chrono::steady_clock::time_point deadline) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

} // namespace stillroom
