// The room's time zone, read from the system's zone files (TZif), and ISO 8601 clock times.
// Expected offsets from the IANA rules: Europe/Berlin CET (+01:00) / CEST (+02:00, from the
// last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC);
// America/New_York EST (-05:00) / EDT (-04:00, second Sunday of March 07:00 UTC to first
// Sunday of November 06:00 UTC); Asia/Kolkata +05:30 all year.
#include "library/room_config.hpp"
#include "library/time_zone.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <iterator>

using namespace stillroom;

namespace {

// Unix ms for a UTC date and time (days from civil, H. Hinnant's algorithm via chrono).
std::int64_t utc_ms(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
    using namespace std::chrono;
    const sys_days date = year{y} / month{m} / std::chrono::day{d};
    return duration_cast<milliseconds>(date.time_since_epoch() + hours{hh} + minutes{mm} +
                                       seconds{ss})
        .count();
}

} // namespace

TEST_CASE("clock times in the room's IANA zone, across daylight-saving changes") {
    struct Case {
        const char* zone;
        std::int64_t unix_ms;
        const char* iso;
    };
    const Case cases[] = {
        {"UTC", utc_ms(2026, 12, 6, 4, 12, 33), "2026-12-06T04:12:33+00:00"},
        {"Europe/Berlin", utc_ms(2026, 12, 6, 4, 12, 33), "2026-12-06T05:12:33+01:00"},
        {"Europe/Berlin", utc_ms(2026, 7, 1, 12, 0, 0), "2026-07-01T14:00:00+02:00"},
        // 2026-03-29 is the last Sunday of March: CEST from 01:00 UTC
        {"Europe/Berlin", utc_ms(2026, 3, 29, 0, 59, 59), "2026-03-29T01:59:59+01:00"},
        {"Europe/Berlin", utc_ms(2026, 3, 29, 1, 0, 0), "2026-03-29T03:00:00+02:00"},
        // 2026-10-25 is the last Sunday of October: back to CET at 01:00 UTC
        {"Europe/Berlin", utc_ms(2026, 10, 25, 0, 59, 59), "2026-10-25T02:59:59+02:00"},
        {"Europe/Berlin", utc_ms(2026, 10, 25, 1, 0, 0), "2026-10-25T02:00:00+01:00"},
        {"America/New_York", utc_ms(2026, 1, 15, 3, 30, 0), "2026-01-14T22:30:00-05:00"},
        // 2026-03-08 is the second Sunday of March: EDT from 07:00 UTC
        {"America/New_York", utc_ms(2026, 3, 8, 7, 0, 0), "2026-03-08T03:00:00-04:00"},
        {"Asia/Kolkata", utc_ms(2026, 6, 1, 0, 0, 0), "2026-06-01T05:30:00+05:30"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.zone);
        CAPTURE(c.iso);
        std::string error;
        const auto zone = TimeZone::load(c.zone, &error);
        REQUIRE_MESSAGE(zone, error);
        CHECK(zone->iso8601(c.unix_ms) == c.iso);
    }
}

TEST_CASE("an unknown or malformed zone name is refused, naming it") {
    struct Case {
        const char* name;
        const char* error_has;
    };
    const Case cases[] = {
        {"Europe/Atlantis", "unknown time zone \"Europe/Atlantis\""},
        {"../../etc/passwd", "expected an IANA time zone name"},
        {"/etc/passwd", "expected an IANA time zone name"},
        {"Europe Berlin", "expected an IANA time zone name"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        std::string error;
        CHECK_FALSE(TimeZone::load(c.name, &error));
        CHECK(error.find(c.error_has) != std::string::npos);
    }
}

TEST_CASE("a damaged zone file is refused, never read past its end") {
    std::string error;
    const auto berlin = TimeZone::load("Europe/Berlin", &error);
    REQUIRE(berlin);
    // Every prefix of a real zone file: refused or read, never a crash.
    std::ifstream in("/usr/share/zoneinfo/Europe/Berlin", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(bytes.size() > 100);
    int refused = 0;
    for (std::size_t n = 0; n < bytes.size(); n += 7)
        if (!TimeZone::parse(bytes.substr(0, n), "cut")) ++refused;
    CHECK(refused > 0);
    CHECK_FALSE(TimeZone::parse("not a zone file at all", "junk"));
}

TEST_CASE("the system's zone is the default") {
    std::string error;
    const auto system = TimeZone::load("", &error);
    REQUIRE_MESSAGE(system, error);
    CHECK(system->name() == "system");
}

TEST_CASE("room.json's timezone is part of the RoomConfig the room reads it from") {
    struct Case {
        const char* json;
        const char* zone; // RoomConfig::timezone ("" = the system's)
        bool ok;
    };
    const Case cases[] = {
        {R"({"room":"r","timezone":"Asia/Kolkata"})", "Asia/Kolkata", true},
        {R"({"room":"r"})", "", true},
        {R"({"room":"r","timezone":"Europe/Atlantis"})", "", false},
    };
    for (const auto& c : cases) {
        CAPTURE(c.json);
        Problems problems("room.json");
        const auto room = load_room_config(Json::parse(c.json), problems);
        CHECK(problems.has_errors() == !c.ok);
        if (!c.ok) {
            CHECK(problems.to_string().find("timezone") != std::string::npos);
            continue;
        }
        REQUIRE(room);
        CHECK(room->timezone == c.zone);
    }
}
