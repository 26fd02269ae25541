// The planner's JSON lines: exactly the fields DESIGN.md names.
#include "fixtures.hpp"

#include "engine/plan.hpp"

#include <set>

using namespace stillroom;
using namespace stillroom::test;

TEST_CASE("plan JSON lines carry at, dose, phase and kind") {
    Plan plan = build_plan(setup_from(kThreeHourTemplate, three_hour_playlists()));
    const std::set<std::string> kinds = {"phase",  "scene", "playlist", "volume",
                                         "remind", "sound", "midi",     "mqtt"};
    std::set<std::string> seen;
    double last_at = -1;
    for (const auto& line : plan.lines) {
        Json j = plan_line_json(line);
        CAPTURE(j.dump());
        REQUIRE(j.contains("at"));
        REQUIRE(j.contains("dose"));
        REQUIRE(j.contains("phase"));
        REQUIRE(j.contains("kind"));
        CHECK(j["at"].is_number());
        CHECK(j["at"].get<double>() >= last_at);
        last_at = j["at"].get<double>();
        CHECK(j["dose"].get<double>() == doctest::Approx(j["at"].get<double>() - 600.0));
        CHECK(kinds.count(j["kind"].get<std::string>()) == 1);
        seen.insert(j["kind"].get<std::string>());
    }
    CHECK(seen == kinds); // the fixture uses every kind
    Json first = plan_line_json(plan.lines.front());
    CHECK(first["kind"] == "phase");
    CHECK(first["phase"] == "settle");
    CHECK(first["dose"] == -600.0);
    CHECK(first["until"] == "dose");
}

TEST_CASE("cue fields in the plan") {
    Plan plan = build_plan(setup_from(kThreeHourTemplate, three_hour_playlists()));
    auto find = [&](const std::string& kind) {
        for (const auto& l : plan.lines)
            if (l.kind == kind) return plan_line_json(l);
        return Json();
    };
    CHECK(find("midi")["bytes"] == Json::array({144, 60, 100}));
    CHECK(find("midi")["at"] == 300.0);
    CHECK(find("mqtt")["payload"]["sign"] == "in session");
    CHECK(find("mqtt")["dose"] == 0.0);
    CHECK(find("remind")["text"] == "Check blood pressure");
    CHECK(find("remind")["vitals"] == true);
    CHECK(find("remind")["dose"] == 900.0);
    CHECK(find("sound")["gain_db"] == -30.0);
}
