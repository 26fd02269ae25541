// Durations as users write them: "90s", "15m", "1h30m", "2m30s", or a JSON number of seconds.
#pragma once

#include "engine/time.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace stillroom {

// The longest duration any file may name (a psilocybin day is ~8 h).
inline constexpr Ms kMaxDuration = std::chrono::hours{48};

// Parses "1h30m", "90s", "2m30s", "1.5s", "0s". Units in order h, m, s, each at most once;
// only the last part may have a fraction. Returns nullopt for anything else.
std::optional<Ms> parse_duration(std::string_view text);

// A time on the command line: a duration ("10m", "1h5m", "90s") or a clock time
// ("1:05:00", "5:03", "5:03.250"; minutes and seconds below 60 after the first field).
// nullopt for anything else or past kMaxDuration.
std::optional<Ms> parse_time_argument(std::string_view text);

// Seconds given as a number (JSON); nullopt when negative, not finite or over kMaxDuration.
std::optional<Ms> duration_from_seconds(double seconds);

// "1h30m", "2m30s", "90ms", "0s": the canonical form parse_duration() reads back.
std::string format_duration(Ms d);

// "1:05:03" / "5:03" (clock style, for tables and the tablet). Negative gets a leading "-".
std::string format_clock(Ms d);

} // namespace stillroom
