// Wrong-PIN budgets (docs/security.md "PIN guessing"). Each client address, and each user's
// known devices together, get the old steps (three free, then 1 s doubling, the tenth locks
// for 15 minutes); every unknown device together shares one budget of failed checks (10,
// then one more every 20 minutes), so a sweep from many addresses is as slow as one from a
// single address. Bounded: at most kMaxTracked entries, the least recently used go first.
// Kept in STATE/throttle.json, written by its own thread at most once a second, never under
// a lock a token check takes (Auth::check does not touch this class at all).
#pragma once

#include "engine/clock.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace stillroom {

class PinThrottle {
public:
    static constexpr int kFreeAttempts = 3;
    static constexpr int kLockoutAttempts = 10; // then the key is refused for kLockout
    static constexpr Ms kLockout = std::chrono::minutes{15};
    static constexpr Ms kForget = std::chrono::minutes{30}; // failures this old are forgotten
    static constexpr std::size_t kMaxTracked = 1024;        // addresses and users, LRU
    static constexpr int kUnknownBudget = 10;               // failed checks, unknown devices
    static constexpr Ms kUnknownRefill = std::chrono::minutes{20}; // one more each
    static constexpr Ms kWriteEvery = std::chrono::seconds{1};

    // Writes the file's whole text (temp file, fsync, rename); false with *error.
    using Writer = std::function<bool(const std::string& text, std::string* error)>;
    // With `file`, the state survives a restart; `writer` replaces the file write (tests).
    PinThrottle(DeviceClock& clock, std::filesystem::path file = {}, Writer writer = nullptr);
    ~PinThrottle(); // writes what is still pending
    PinThrottle(const PinThrottle&) = delete;
    PinThrottle& operator=(const PinThrottle&) = delete;

    enum class Scope { Key, UnknownDevices };
    struct Ticket {
        bool ok = false;
        Scope refused_by = Scope::Key; // when !ok
        Ms retry_after{0};             // when !ok
        int failures_before = 0;
        DeviceTime blocked_before{};
        bool took_budget = false;
    };
    // Before a PIN is checked: counts the attempt as failed under `key` (an address, or
    // "user:NAME" for a known device) and, for an unknown device, takes one from the shared
    // budget; parallel guesses therefore see the block at once. Thread-safe.
    Ticket begin(const std::string& key, bool unknown_device);
    // The PIN was right: takes back this attempt only (earlier failures stay).
    void succeeded(const std::string& key, const Ticket& ticket);
    // The PIN was wrong: how long `key` must now wait before its next attempt.
    Ms wait_after_failure(const std::string& key);

    // For tests and the docs. Thread-safe.
    std::size_t tracked() const;
    int unknown_budget_left();
    std::size_t writes() const;
    void flush(); // writes now if anything is pending

private:
    struct Attempts {
        int failures = 0;
        DeviceTime last{};
        DeviceTime blocked_until{};
    };
    void refill_locked(DeviceTime now);
    Attempts& entry_locked(const std::string& key, DeviceTime now);
    std::string snapshot_locked() const;
    void load();
    void run();
    void write(const std::string& text);

    DeviceClock& clock_;
    std::filesystem::path file_;
    Writer writer_;
    mutable std::mutex mutex_;
    std::map<std::string, Attempts> attempts_;
    int budget_left_ = kUnknownBudget;
    DeviceTime refill_from_{};
    bool dirty_ = false;
    DeviceTime last_write_{};
    std::size_t writes_ = 0;
    std::mutex write_mutex_; // one file write at a time, in order
    bool stopping_ = false;
    Wakeup wakeup_;
    std::thread thread_;
};

} // namespace stillroom
