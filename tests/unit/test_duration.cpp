// Durations: every accepted form and every malformed one.
#include "engine/duration.hpp"

#include <doctest/doctest.h>

using namespace stillroom;
using namespace std::chrono_literals;

TEST_CASE("durations in every form DESIGN.md names") {
    struct Row {
        const char* text;
        Ms expected;
    };
    const Row rows[] = {
        {"90s", 90s},        {"15m", 15min},       {"1h30m", 90min},
        {"2m30s", 150s},     {"1h", 1h},           {"0s", 0s},
        {"1h0m5s", 3605s},   {"1.5s", 1500ms},     {"2m0.25s", 120250ms},
        {"500ms", 500ms},    {"1m500ms", 60500ms}, {"48h", 48h},
        {"1h30m15s", 5415s},
    };
    for (const auto& row : rows) {
        CAPTURE(row.text);
        auto d = parse_duration(row.text);
        REQUIRE(d.has_value());
        CHECK(*d == row.expected);
    }
}

TEST_CASE("malformed durations are refused") {
    const char* bad[] = {"",    "fifteen",      "15",      "15 m", "m",     "1m1h", "1s1m", "1h1h",
                         "-5m", "5M",           "1.5m30s", "1.s",  ".5s",   "5m ",  " 5m",  "1d",
                         "49h", "99999999999h", "5mm",     "1h30", "0x10s", "1e3s"};
    for (const char* text : bad) {
        CAPTURE(text);
        CHECK_FALSE(parse_duration(text).has_value());
    }
}

TEST_CASE("durations as numbers of seconds") {
    CHECK(duration_from_seconds(90) == Ms{90000});
    CHECK(duration_from_seconds(0.25) == Ms{250});
    CHECK(duration_from_seconds(0) == Ms{0});
    CHECK_FALSE(duration_from_seconds(-1).has_value());
    CHECK_FALSE(duration_from_seconds(48 * 3600 + 1).has_value());
    CHECK_FALSE(duration_from_seconds(std::numeric_limits<double>::quiet_NaN()).has_value());
    CHECK_FALSE(duration_from_seconds(std::numeric_limits<double>::infinity()).has_value());
}

TEST_CASE("format_duration reads back through parse_duration") {
    const Ms values[] = {0s, 1ms, 999ms, 1s, 90s, 15min, 90min, 3605s, 120250ms, 48h};
    for (Ms v : values) {
        CAPTURE(v.count());
        const std::string text = format_duration(v);
        CAPTURE(text);
        CHECK(parse_duration(text) == v);
    }
    CHECK(format_duration(90min) == "1h30m");
    CHECK(format_duration(150s) == "2m30s");
    CHECK(format_clock(3723s) == "1:02:03");
    CHECK(format_clock(-90s) == "-1:30");
}
