// The room's time zone (room.json "timezone", an IANA name such as "Europe/Berlin"; default
// the system's, /etc/localtime), read from the system's compiled zone files (TZif, RFC 8536).
// Only for writing wall-clock times into the record (`clock`); never for scheduling.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

class TimeZone {
public:
    // UTC, always available.
    TimeZone() = default;
    // An IANA name ("Europe/Berlin"), or "" for the system's zone. nullopt and *error on an
    // unknown name or an unreadable zone file. Reads a file: not on the audio thread.
    static std::optional<TimeZone> load(const std::string& name, std::string* error = nullptr);
    // Parses a TZif file's bytes.
    static std::optional<TimeZone> parse(const std::string& bytes, std::string name);

    const std::string& name() const { return name_; }
    // Minutes east of UTC at that instant.
    int offset_min(std::int64_t unix_ms) const;
    // "2026-12-06T04:12:33+01:00" (ISO 8601, seconds, the zone's offset at that instant).
    std::string iso8601(std::int64_t unix_ms) const;

private:
    std::string name_ = "UTC";
    std::vector<std::int64_t> transitions_; // seconds since 1970, ascending
    std::vector<int> transition_offset_s_;  // the offset from each transition on
    int initial_offset_s_ = 0;              // before the first transition
};

// An IANA zone name as room.json may give it: letters, digits, '_', '-', '+', '/', no "..".
bool is_valid_zone_name(const std::string& name);

} // namespace stillroom
