// A bounded rate for journal records about refused commands from a remote source (MQTT):
// a flood of refused commands must leave a trace in the session's record, but not one
// record each (a 20 s flood once wrote 54 MB). At most one record per kind per `window`;
// what is held back is counted and goes into the next record of that kind, or into a
// summary record once the window has passed (due()). Every refusal is counted exactly
// once: the "count" fields of the records add up to the refusals. No I/O, no clock of its
// own: the time is the caller's. Not thread-safe (the room calls it under its lock).
#pragma once

#include "engine/time.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace stillroom {

class RefusalBudget {
public:
    explicit RefusalBudget(Ms window = Ms{1000}) : window_(window) {}

    // `count` refusals of `kind` now. nullopt: held back (counted). Otherwise journal one
    // record that stands for the returned number of refusals (these and any held back).
    // `kind` is one of a fixed set of names the caller chooses, never outside input.
    std::optional<std::uint64_t> allow(const std::string& kind, MonoTime now,
                                       std::uint64_t count = 1) {
        Slot& s = slots_[kind];
        if (s.written && now - s.last < window_) {
            s.held += count;
            return std::nullopt;
        }
        s.written = true;
        s.last = now;
        return std::exchange(s.held, 0) + count;
    }

    // The kinds whose window has passed with refusals held back: (kind, how many). Each is
    // taken out (the caller journals one summary record per kind now).
    std::vector<std::pair<std::string, std::uint64_t>> due(MonoTime now) {
        std::vector<std::pair<std::string, std::uint64_t>> out;
        for (auto& [kind, s] : slots_)
            if (s.held > 0 && now - s.last >= window_) {
                out.emplace_back(kind, std::exchange(s.held, 0));
                s.last = now;
            }
        return out;
    }

    // Everything held back, whatever its window (the session's last records: nothing is
    // left out of its record).
    std::vector<std::pair<std::string, std::uint64_t>> flush() {
        std::vector<std::pair<std::string, std::uint64_t>> out;
        for (auto& [kind, s] : slots_)
            if (s.held > 0) out.emplace_back(kind, std::exchange(s.held, 0));
        return out;
    }

    // Forgets what is held (a new session: nothing carries over into its record).
    void reset() { slots_.clear(); }

private:
    struct Slot {
        bool written = false;
        MonoTime last{};
        std::uint64_t held = 0;
    };
    Ms window_;
    std::map<std::string, Slot> slots_;
};

} // namespace stillroom
