// What leaves the room about vitals: the MQTT state (control/mqtt_bridge.cpp mqtt_state) keeps
// an alert's kind and priority and drops every value; the clinic overview lists a high alert
// nobody acknowledged for 60 s (escalated), and nothing else of the vitals.
#include "clinic/overview.hpp"
#include "control/mqtt_bridge.hpp"

#include <doctest/doctest.h>

using namespace stillroom;

namespace {

Json state_with_alerts(bool escalated, bool acked) {
    Json alert = {{"id", "a1"},  {"kind", "spo2_low"}, {"priority", "high"},    {"since_s", 300.0},
                  {"value", 84}, {"source", "oxi"},    {"escalated", escalated}};
    if (acked) alert["acked_by"] = "t";
    return {{"room", {{"id", "r"}, {"name", "Room r"}}},
            {"devices", Json::array()},
            {"session",
             {{"id", "s-1"},
              {"status", "running"},
              {"since_start", 400.0},
              {"since_dose", nullptr},
              {"reminders", Json::array()},
              {"vitals", Json::array({{{"spo2", 84}, {"source", "cuff"}}})},
              {"vitals_live", {{"spo2", {{"value", 84}, {"source", "oxi"}, {"age_s", 0}}}}},
              {"vitals_trend", Json::array({{{"minute_s", 0}, {"spo2", {{"min", 84}}}}})},
              {"alerts", Json::array({alert})}}}};
}

} // namespace

TEST_CASE("the room's MQTT state: alerts by kind and priority, no vital sign") {
    const Json out = mqtt_state(state_with_alerts(true, false));
    const Json& s = out["session"];
    CHECK_FALSE(s.contains("vitals"));
    CHECK_FALSE(s.contains("vitals_live"));
    CHECK_FALSE(s.contains("vitals_trend"));
    REQUIRE(s["alerts"].size() == 1);
    CHECK(s["alerts"][0] == Json{{"id", "a1"},
                                 {"kind", "spo2_low"},
                                 {"priority", "high"},
                                 {"since_s", 300.0},
                                 {"escalated", true},
                                 {"acked", false}});
    CHECK(out.dump().find("84") == std::string::npos);
}

TEST_CASE("the clinic overview lists an escalated, unacknowledged vitals alert; no value") {
    struct Row {
        bool escalated, acked, listed;
    };
    for (const Row row :
         {Row{true, false, true}, Row{false, false, false}, Row{true, true, false}}) {
        CAPTURE(row.escalated);
        CAPTURE(row.acked);
        Overview o(OverviewOptions{});
        const DeviceTime t{Ms{1'000'000}};
        o.on_message("stillroom/r/status", "online", t);
        o.on_message("stillroom/r/state",
                     dump_json(mqtt_state(state_with_alerts(row.escalated, row.acked))), t);
        const Json rooms = o.rooms(t);
        REQUIRE(rooms.size() == 1);
        const Json& alerts = rooms[0]["alerts"];
        CHECK(alerts.size() == (row.listed ? 1u : 0u));
        if (row.listed) {
            CHECK(alerts[0]["kind"] == "vitals_alarm");
            CHECK(alerts[0]["alarm"] == "spo2_low");
            CHECK(alerts[0]["priority"] == "high");
            CHECK_FALSE(alerts[0].contains("value"));
        }
    }
}
