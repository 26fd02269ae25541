// room.json "vitals": the issue's example loads; every mistake is named by its JSON path.
#include "library/room_config.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace stillroom;
using stillroom::test::has_problem;
using namespace std::chrono_literals;

namespace {

// The example from issue 21, as a clinic would write it.
const char* kGood = R"({"room": "r1", "mqtt": {"url": "mqtt://127.0.0.1:1883"},
  "vitals": {"sources": [
     {"id": "oxi", "topic": "ward/oxi1", "format": "json", "fields": {"spo2": "SpO2", "hr": "pulse.bpm"}},
     {"id": "plx", "topic": "ble/plx1", "format": "ble-plx-continuous"},
     {"id": "spot", "topic": "ble/plx2", "format": "ble-plx-spot"},
     {"id": "cuff", "topic": "ble/bps1", "format": "ble-bps"},
     {"id": "ha-hr", "topic": "homeassistant/sensor/oxi_hr/state", "format": "number", "field": "hr"}],
   "stale_after": "10s"}})";

} // namespace

TEST_CASE("room.json vitals: the issue's example") {
    Problems p("room.json");
    auto room = load_room_config(Json::parse(kGood), p);
    INFO(p.to_string());
    REQUIRE(room);
    REQUIRE(room->vitals);
    const auto& v = *room->vitals;
    REQUIRE(v.sources.size() == 5);
    CHECK(v.stale_after == 10s);
    CHECK(v.sources[0].mapping.fields.at("hr") == "pulse.bpm");
    CHECK(v.sources[1].format == VitalsFormat::BlePlxContinuous);
    CHECK(v.sources[2].format == VitalsFormat::BlePlxSpot);
    CHECK(v.sources[3].format == VitalsFormat::BleBps);
    CHECK(v.sources[4].mapping.field == "hr");
}

TEST_CASE("room.json vitals: every mistake names its path and what was expected") {
    struct Row {
        const char* pointer;
        Json value;
        const char* path;
        const char* fragment;
    };
    const Row rows[] = {
        {"/vitals/sources/0/format", "ble-glucose", "vitals.sources[0].format", "ble-bps"},
        {"/vitals/sources/0/fields/temp", "T", "vitals.sources[0].fields.temp", "unknown"},
        {"/vitals/sources/0/fields/spo2", "a..b", "vitals.sources[0].fields.spo2", "dotted"},
        {"/vitals/sources/1/fields", Json::object({{"spo2", "x"}}), "vitals.sources[1].fields",
         "only a \"json\" source"},
        {"/vitals/sources/4/field", "temperature", "vitals.sources[4].field", "spo2, hr"},
        {"/vitals/sources/2/field", "hr", "vitals.sources[2].field", "only a \"number\""},
        {"/vitals/sources/1/id", "oxi", "vitals.sources[1].id", "used twice"},
        {"/vitals/sources/1/id", "bad id", "vitals.sources[1].id", "letters"},
        {"/vitals/sources/1/topic", "ble/#", "vitals.sources[1].topic", "without wildcards"},
        {"/vitals/sources/1/topic", "ward/oxi1", "vitals.sources[1].topic", "used twice"},
        {"/vitals/sources/1/topic", "stillroom/r1/vitals", "vitals.sources[1].topic",
         "outside the room's own"},
        {"/vitals/sources/3/colour", "red", "vitals.sources[3].colour", "unknown"},
        {"/vitals/stale_after", "soon", "vitals.stale_after", "duration"},
        {"/vitals/stale_after", "1s", "vitals.stale_after", "from 2s"},
        {"/vitals/sources", Json::object(), "vitals.sources", "array"},
        {"/vitals/sources/0", 3, "vitals.sources[0]", "object"},
        {"/mqtt", nullptr, "vitals", "\"mqtt\" section"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.pointer);
        CAPTURE(row.value.dump());
        Json j = Json::parse(kGood);
        j[Json::json_pointer(row.pointer)] = row.value;
        Problems p("room.json");
        CHECK_FALSE(load_room_config(j, p).has_value());
        INFO(p.to_string());
        CHECK(has_problem(p, row.path, row.fragment));
    }
    // An unknown format is one problem, not also a complaint about its fields.
    {
        Json j = Json::parse(kGood);
        j["vitals"]["sources"][0]["format"] = "ble-glucose";
        Problems p("room.json");
        CHECK_FALSE(load_room_config(j, p).has_value());
        CHECK(p.error_count() == 1);
    }
    // A json source without fields, a number source without a field.
    for (const char* pointer : {"/vitals/sources/0/fields", "/vitals/sources/4/field"}) {
        CAPTURE(pointer);
        Json j = Json::parse(kGood);
        j[Json::json_pointer(pointer).parent_pointer()].erase(Json::json_pointer(pointer).back());
        Problems p("room.json");
        CHECK_FALSE(load_room_config(j, p).has_value());
        INFO(p.to_string());
        CHECK(p.to_string().find("required") != std::string::npos);
    }
}
