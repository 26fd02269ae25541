// A bounded rate for log lines about outside input (a flood of refused or oversized MQTT
// messages once wrote 54 MB of log in 20 s): at most `lines` per `window`; what is held
// back is counted and the count goes out with the next line let through. No I/O here: the
// caller writes the line. Thread-safe; the time is the caller's (a DeviceClock's now()).
#pragma once

#include "engine/time.hpp"

#include <cstdint>
#include <mutex>
#include <optional>

namespace stillroom {

class LogBudget {
public:
    explicit LogBudget(int lines = 5, Ms window = Ms{10'000}) : lines_(lines), window_(window) {}
    // nullopt: hold this line back. Otherwise log it, and say how many were held back
    // before it (0: none). Runs on: any thread.
    std::optional<std::uint64_t> allow(DeviceTime now) {
        std::lock_guard lock(mutex_);
        if (!started_ || now - window_start_ >= window_) {
            started_ = true;
            window_start_ = now;
            used_ = 0;
        }
        if (used_ >= lines_) {
            ++held_;
            return std::nullopt;
        }
        ++used_;
        const std::uint64_t held = held_;
        held_ = 0;
        return held;
    }

private:
    std::mutex mutex_;
    int lines_;
    Ms window_;
    bool started_ = false;
    DeviceTime window_start_{};
    int used_ = 0;
    std::uint64_t held_ = 0;
};

} // namespace stillroom
