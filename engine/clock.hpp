// The one clock interface. Production code reads time only through a Clock;
// tests move a ManualClock by advance_to(). See STYLE.md habit 2.
#pragma once

#include "engine/time.hpp"

#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <mutex>

namespace stillroom {

class Clock {
public:
    virtual ~Clock() = default;
    // Runs on: any thread. Never throws.
    virtual MonoTime now() const = 0;
    // Blocks the calling thread until now() >= deadline or wake() is called.
    // Runs on: a control thread (never the audio thread).
    virtual void wait_until(MonoTime deadline) = 0;
    // Ends any wait_until() early. Runs on: any thread.
    virtual void wake() = 0;
    // Wall-clock time in ms since 1970, only for bridging a power cut (see docs/engine.md);
    // never for sequencing. Runs on: any thread.
    virtual std::int64_t wall_unix_ms() const = 0;
};

// The monotonic system clock (CLOCK_MONOTONIC).
class SteadyClock final : public Clock {
public:
    MonoTime now() const override;
    void wait_until(MonoTime deadline) override;
    void wake() override;
    std::int64_t wall_unix_ms() const override;

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool woken_ = false;
};

// A clock that only moves when told to. wait_until() returns at once.
class ManualClock final : public Clock {
public:
    explicit ManualClock(MonoTime start = MonoTime{Ms{1'000'000}}) : now_(start.time_since_epoch().count()) {}
    MonoTime now() const override { return MonoTime{Ms{now_.load()}}; }
    void wait_until(MonoTime) override {}
    void wake() override {}
    std::int64_t wall_unix_ms() const override { return wall_base_ms_ + now_.load(); }
    void advance_to(MonoTime t) { now_.store(t.time_since_epoch().count()); }
    // Moves the wall clock alone (an NTP step, a wrong manual setting).
    void jump_wall(Ms by) { wall_base_ms_ += by.count(); }
    void advance_by(Ms d) { now_.fetch_add(d.count()); }

private:
    std::atomic<Ms::rep> now_;
    std::int64_t wall_base_ms_ = 1'790'000'000'000;
};

// Real monotonic time sped up by `speed` (demo and accelerated tests): session time runs
// `speed` times faster than the wall. wait_until() sleeps the scaled-down real interval.
class ScaledClock final : public Clock {
public:
    explicit ScaledClock(double speed);
    MonoTime now() const override;
    void wait_until(MonoTime deadline) override;
    void wake() override { inner_.wake(); }
    std::int64_t wall_unix_ms() const override;

private:
    SteadyClock inner_;
    double speed_;
};

} // namespace stillroom
