// Cue time expressions.
#include "engine/time_expr.hpp"

#include <doctest/doctest.h>

using namespace stillroom;
using namespace std::chrono_literals;

TEST_CASE("time expressions") {
    struct Row {
        const char* text;
        AnchorKind anchor;
        const char* phase;
        Ms offset;
    };
    const Row rows[] = {
        {"start+0s", AnchorKind::Start, "", 0s},
        {"start+90s", AnchorKind::Start, "", 90s},
        {"dose+15m", AnchorKind::Dose, "", 15min},
        {"dose + 1h30m", AnchorKind::Dose, "", 90min},
        {"dose", AnchorKind::Dose, "", 0s},
        {"phase:peak+2m", AnchorKind::Phase, "peak", 2min},
        {"phase:pre-onset+0s", AnchorKind::Phase, "pre-onset", 0s},
        {"phase:return_2+10s", AnchorKind::Phase, "return_2", 10s},
    };
    for (const auto& row : rows) {
        CAPTURE(row.text);
        auto e = parse_time_expr(row.text);
        REQUIRE(e.has_value());
        CHECK(e->anchor == row.anchor);
        CHECK(e->phase_id == row.phase);
        CHECK(e->offset == row.offset);
        CHECK(parse_time_expr(e->to_string()) == e);
    }
}

TEST_CASE("malformed time expressions say why") {
    const char* bad[] = {"",        "now+5m",   "dose+", "dose+five", "phase:+5m",   "phase:a b+1m",
                         "dose-5m", "start-1m", "+5m",   "Dose+5m",   "phase:peak+5"};
    for (const char* text : bad) {
        CAPTURE(text);
        std::string why;
        CHECK_FALSE(parse_time_expr(text, &why).has_value());
        CHECK_FALSE(why.empty());
    }
}
