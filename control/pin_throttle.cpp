// Wrong-PIN budgets, bounded and written in the background.
#include "control/pin_throttle.hpp"

#include "engine/json_reader.hpp"
#include "library/library_files.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

namespace stillroom {

namespace {

std::string read_throttle_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

PinThrottle::PinThrottle(DeviceClock& clock, std::filesystem::path file, Writer writer)
    : clock_(clock), file_(std::move(file)), writer_(std::move(writer)) {
    const DeviceTime now = clock_.now();
    refill_from_ = now;
    last_write_ = now - kWriteEvery;
    load();
    if (!file_.empty() || writer_) thread_ = std::thread([this] { run(); });
}

PinThrottle::~PinThrottle() {
    if (thread_.joinable()) {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wakeup_.wake();
        thread_.join();
        flush();
    }
}

void PinThrottle::load() {
    if (file_.empty()) return;
    Json j = parse_json_or_discarded(read_throttle_file(file_));
    if (!j.is_object()) return;
    const DeviceTime now = clock_.now();
    const std::int64_t wall = clock_.wall_unix_ms();
    auto ago = [&](std::int64_t unix_ms) {
        return now - Ms{std::max<std::int64_t>(0, wall - unix_ms)};
    };
    // Version 2 keeps the addresses and users under "keys"; the first version was that map.
    const Json& keys = j.contains("keys") && j["keys"].is_object() ? j["keys"] : j;
    for (const auto& [key, v] : keys.items()) {
        if (!v.is_object() || !v.contains("failures")) continue;
        Attempts at;
        at.failures = std::clamp(v.value("failures", 0), 0, kLockoutAttempts);
        at.last = ago(v.value("last_unix_ms", std::int64_t{0}));
        const std::int64_t blocked = v.value("blocked_until_unix_ms", std::int64_t{0});
        // A restart never clears a lockout, and a wall clock set ahead never makes one longer.
        at.blocked_until = blocked > wall
                               ? now + Ms{std::min<std::int64_t>(blocked - wall, kLockout.count())}
                               : DeviceTime{};
        if (at.failures > 0 && now - at.last <= kForget && attempts_.size() < kMaxTracked)
            attempts_[key] = at;
    }
    if (j.contains("unknown_devices") && j["unknown_devices"].is_object()) {
        const Json& u = j["unknown_devices"];
        budget_left_ = std::clamp(u.value("left", kUnknownBudget), 0, kUnknownBudget);
        refill_from_ = std::min(now, ago(u.value("refill_from_unix_ms", wall)));
    }
}

void PinThrottle::refill_locked(DeviceTime now) {
    if (budget_left_ >= kUnknownBudget) {
        refill_from_ = now;
        return;
    }
    const auto steps = (now - refill_from_) / kUnknownRefill;
    if (steps <= 0) return;
    budget_left_ = static_cast<int>(
        std::min<std::int64_t>(kUnknownBudget, budget_left_ + static_cast<std::int64_t>(steps)));
    refill_from_ = budget_left_ >= kUnknownBudget ? now : refill_from_ + steps * kUnknownRefill;
}

PinThrottle::Attempts& PinThrottle::entry_locked(const std::string& key, DeviceTime now) {
    auto it = attempts_.find(key);
    if (it != attempts_.end()) return it->second;
    // Bounded: the least recently tried key goes first (one new address per guess costs the
    // guesser a failure from the shared budget, so dropping an old address gains nothing).
    while (attempts_.size() >= kMaxTracked) {
        auto oldest =
            std::min_element(attempts_.begin(), attempts_.end(), [](const auto& a, const auto& b) {
                return a.second.last < b.second.last;
            });
        attempts_.erase(oldest);
    }
    Attempts& a = attempts_[key];
    a.last = now;
    return a;
}

PinThrottle::Ticket PinThrottle::begin(const std::string& key, bool unknown_device) {
    const DeviceTime now = clock_.now();
    Ticket t;
    {
        std::lock_guard lock(mutex_);
        const bool known_key = attempts_.count(key) > 0;
        Attempts& a = entry_locked(key, now);
        if (a.failures > 0 && now - a.last > kForget && now >= a.blocked_until) {
            a = Attempts{};
            a.last = now;
        }
        if (now < a.blocked_until) {
            t.refused_by = Scope::Key;
            t.retry_after = a.blocked_until - now;
            return t;
        }
        if (unknown_device) {
            refill_locked(now);
            if (budget_left_ < 1) {
                if (!known_key) attempts_.erase(key);
                t.refused_by = Scope::UnknownDevices;
                t.retry_after = refill_from_ + kUnknownRefill - now;
                return t;
            }
            --budget_left_;
            t.took_budget = true;
        }
        t.ok = true;
        t.failures_before = a.failures;
        t.blocked_before = a.blocked_until;
        ++a.failures;
        a.last = now;
        if (a.failures >= kLockoutAttempts)
            a.blocked_until = now + kLockout;
        else if (a.failures >= kFreeAttempts) // 1 s, 2 s, 4 s ...
            a.blocked_until = now + Ms{1000LL << std::min(a.failures - kFreeAttempts, 6)};
        dirty_ = true;
    }
    wakeup_.wake();
    return t;
}

void PinThrottle::succeeded(const std::string& key, const Ticket& ticket) {
    const DeviceTime now = clock_.now();
    {
        std::lock_guard lock(mutex_);
        auto it = attempts_.find(key);
        if (it != attempts_.end()) {
            Attempts& a = it->second;
            a.failures = std::max(0, a.failures - 1);
            if (a.failures == ticket.failures_before) a.blocked_until = ticket.blocked_before;
            if (a.failures == 0) attempts_.erase(it);
        }
        if (ticket.took_budget) {
            refill_locked(now);
            budget_left_ = std::min(kUnknownBudget, budget_left_ + 1);
            if (budget_left_ >= kUnknownBudget) refill_from_ = now;
        }
        dirty_ = true;
    }
    wakeup_.wake();
}

Ms PinThrottle::wait_after_failure(const std::string& key) {
    const DeviceTime now = clock_.now();
    std::lock_guard lock(mutex_);
    auto it = attempts_.find(key);
    if (it == attempts_.end() || it->second.blocked_until <= now) return Ms{0};
    return std::chrono::duration_cast<Ms>(it->second.blocked_until - now);
}

std::size_t PinThrottle::tracked() const {
    std::lock_guard lock(mutex_);
    return attempts_.size();
}

int PinThrottle::unknown_budget_left() {
    std::lock_guard lock(mutex_);
    refill_locked(clock_.now());
    return budget_left_;
}

std::size_t PinThrottle::writes() const {
    std::lock_guard lock(mutex_);
    return writes_;
}

std::string PinThrottle::snapshot_locked() const {
    const DeviceTime now = clock_.now();
    const std::int64_t wall = clock_.wall_unix_ms();
    Json keys = Json::object();
    for (const auto& [key, a] : attempts_) {
        if (a.failures <= 0) continue;
        keys[key] = {{"failures", a.failures},
                     {"last_unix_ms", wall - (now - a.last).count()},
                     {"blocked_until_unix_ms",
                      a.blocked_until > now ? wall + (a.blocked_until - now).count() : 0}};
    }
    Json j = {
        {"version", 2},
        {"unknown_devices",
         {{"left", budget_left_}, {"refill_from_unix_ms", wall - (now - refill_from_).count()}}},
        {"keys", std::move(keys)}};
    return dump_json(j) + "\n";
}

void PinThrottle::write(const std::string& text) {
    std::lock_guard lock(write_mutex_);
    std::string error;
    bool ok;
    if (writer_) {
        ok = writer_(text, &error);
    } else {
        std::error_code ec;
        std::filesystem::create_directories(file_.parent_path(), ec);
        // Temp file, fsync, rename: a full disk leaves the old file whole.
        ok = write_file_atomically(file_, text, &error, 0600);
    }
    if (!ok)
        std::cerr << "stillroom: auth: " << error << " (the PIN throttle is kept in memory)"
                  << std::endl;
    std::lock_guard count(mutex_);
    ++writes_;
}

void PinThrottle::flush() {
    std::string text;
    {
        std::lock_guard lock(mutex_);
        if (!dirty_ || (file_.empty() && !writer_)) return;
        text = snapshot_locked();
        dirty_ = false;
        last_write_ = clock_.now();
    }
    write(text);
}

// Runs on: the throttle's writer thread.
void PinThrottle::run() {
    for (;;) {
        std::string text;
        DeviceTime due;
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            const DeviceTime now = clock_.now();
            due = dirty_ ? last_write_ + kWriteEvery : now + std::chrono::hours{1};
            if (dirty_ && now >= due) {
                text = snapshot_locked();
                dirty_ = false;
                last_write_ = now;
            }
        }
        if (!text.empty()) {
            write(text);
            continue;
        }
        clock_.wait_until(due, wakeup_);
    }
}

} // namespace stillroom
