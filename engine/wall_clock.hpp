// Wall-clock times as the record writes them: ISO 8601 with the room's UTC offset,
// "2026-12-06T04:12:33+01:00". Only for the record (`clock`), never for sequencing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace stillroom {

// A Unix time in ms at a fixed offset (minutes east of UTC), to the second.
std::string iso8601_at_offset(std::int64_t unix_ms, int offset_min);

struct WallTime {
    std::int64_t unix_ms = 0;
    int offset_min = 0;
};
// Reads back what iso8601_at_offset() writes ("Z" is read as +00:00); nullopt otherwise.
std::optional<WallTime> parse_iso8601(const std::string& text);

} // namespace stillroom
