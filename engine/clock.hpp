// The one clock interface. Production code reads time and sleeps only through a clock
// object it was given (STYLE.md habit 2); tests move a ManualClock by advance_to().
// scripts/check-clock.sh fails CI on any other clock read or sleep in production folders.
//
// Two clock domains, two types (engine/time.hpp):
// - Session time, `MonoTime`, read from a `Clock`: what the engine sequences by. Real time
//   in the room (SteadyClock), sped up in the demo (ScaledClock), moved by hand in tests
//   (ManualClock). Effects carry session times.
// - Device time, `DeviceTime`, read from a `DeviceClock`: real monotonic time for work
//   that must not speed up with the demo or stand still in a test: sink watchdog and
//   restart backoff, MIDI reconnects, library polling, decoder and lights pacing.
//   SteadyDeviceClock in production, ManualDeviceClock in tests.
// The compiler refuses to subtract or compare a MonoTime and a DeviceTime. The audio
// mixer's own time is a frame count (Mixer::frame()); AudioDriver maps a session time to
// a frame as "this many session ms from now", which is exact because the room runs audio
// only at speed 1 (`run --speed` turns audio off).
//
// Waiting: a thread waits with wait_until(deadline, wakeup) on its own Wakeup, which any
// thread may ring to end the wait early; so one clock can be shared by many threads.
#pragma once

#include "engine/time.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace stillroom {

// One waiting thread's doorbell: wake() ends its current wait (or the next one) early.
class Wakeup {
public:
    // Runs on: any thread.
    void wake() {
        {
            std::lock_guard lock(mutex_);
            woken_ = true;
        }
        cv_.notify_all();
    }

private:
    template <class Time> friend class BasicSteadyClock;
    template <class Time> friend class BasicManualClock;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool woken_ = false;
};

template <class Time> class BasicClock {
public:
    using time_point = Time;
    virtual ~BasicClock() = default;
    // Runs on: any thread. Never throws.
    virtual Time now() const = 0;
    // Blocks until now() >= deadline or `wakeup` is rung (and clears it). May return early:
    // callers re-check what they wait for. Runs on: a control thread (never the audio thread).
    void wait_until(Time deadline, Wakeup& wakeup) { sleep_until(deadline, wakeup); }
    // The same on the clock's own doorbell (one waiting thread, e.g. the engine's).
    void wait_until(Time deadline) { sleep_until(deadline, own_); }
    // Ends a wait_until(deadline) without a Wakeup early. Runs on: any thread.
    void wake() { own_.wake(); }
    // Wall-clock time in ms since 1970, only for bridging a power cut (see docs/engine.md)
    // and the report's date; never for sequencing. Runs on: any thread.
    virtual std::int64_t wall_unix_ms() const = 0;

protected:
    virtual void sleep_until(Time deadline, Wakeup& wakeup) = 0;

private:
    Wakeup own_;
};

// The session clock (engine time) and the device clock (real time), as types.
using Clock = BasicClock<MonoTime>;
using DeviceClock = BasicClock<DeviceTime>;

// The monotonic system clock (CLOCK_MONOTONIC), in either domain.
template <class Time> class BasicSteadyClock final : public BasicClock<Time> {
public:
    Time now() const override;
    std::int64_t wall_unix_ms() const override;

protected:
    void sleep_until(Time deadline, Wakeup& wakeup) override;
};
using SteadyClock = BasicSteadyClock<MonoTime>;
using SteadyDeviceClock = BasicSteadyClock<DeviceTime>;

// A clock that only moves when told to. A wait returns at once when due or woken, else
// after a short real pause (so a worker thread polling a manual clock does not spin).
template <class Time> class BasicManualClock final : public BasicClock<Time> {
public:
    explicit BasicManualClock(Time start = Time{Ms{1'000'000}})
        : now_(start.time_since_epoch().count()) {}
    Time now() const override { return Time{Ms{now_.load()}}; }
    std::int64_t wall_unix_ms() const override { return wall_base_ms_ + now_.load(); }
    void advance_to(Time t) { now_.store(t.time_since_epoch().count()); }
    // Moves the wall clock alone (an NTP step, a wrong manual setting).
    void jump_wall(Ms by) { wall_base_ms_ += by.count(); }
    void advance_by(Ms d) { now_.fetch_add(d.count()); }

protected:
    void sleep_until(Time deadline, Wakeup& wakeup) override;

private:
    std::atomic<Ms::rep> now_;
    std::int64_t wall_base_ms_ = 1'790'000'000'000;
};
using ManualClock = BasicManualClock<MonoTime>;
using ManualDeviceClock = BasicManualClock<DeviceTime>;

// Real monotonic time sped up by `speed` (demo and accelerated tests): session time runs
// `speed` times faster than the wall. wait_until() sleeps the scaled-down real interval.
class ScaledClock final : public Clock {
public:
    explicit ScaledClock(double speed);
    MonoTime now() const override;
    std::int64_t wall_unix_ms() const override;

protected:
    void sleep_until(MonoTime deadline, Wakeup& wakeup) override;

private:
    SteadyClock inner_;
    double speed_;
};

extern template class BasicSteadyClock<MonoTime>;
extern template class BasicSteadyClock<DeviceTime>;
extern template class BasicManualClock<MonoTime>;
extern template class BasicManualClock<DeviceTime>;

} // namespace stillroom
