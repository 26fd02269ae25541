// Vitals from devices through the room: the driver on a fake MQTT link (the production
// interface), the room on a manual clock. A bad payload is dropped, counted and logged once
// a minute; a cuff reading becomes a session.vitals entry; alerts are journaled and acked;
// the state's vitals stay the same size however many readings came.
#include "devices/vitals_driver.hpp"
#include "fake_mqtt.hpp"
#include "record/report_store.hpp"
#include "runtime/room.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace stillroom;
using namespace stillroom::test;
using namespace std::chrono_literals;

namespace {

Library vitals_library(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir / "sessions");
    std::ofstream(dir / "room.json") << R"({"room":"r","mqtt":{"url":"mqtt://127.0.0.1:1"},
      "vitals":{"sources":[
        {"id":"oxi","topic":"ward/oxi1","format":"json","fields":{"spo2":"SpO2","hr":"pulse.bpm"}},
        {"id":"cuff","topic":"ble/bps1","format":"ble-bps"}],"stale_after":"10s"}})";
    std::ofstream(dir / "sessions/s.json")
        << R"({"name":"S","phases":[{"id":"a","until":"therapist","duration":"2h"}],
              "vitals":{"alert":{"systolic_max":150}}})";
    Problems problems;
    Library lib = load_library(dir, problems);
    REQUIRE_MESSAGE(problems.error_count() == 0, problems.to_string());
    return lib;
}

struct Rig {
    TempDir dir;
    ManualClock clock;
    ManualDeviceClock device_clock;
    FakeMqtt mqtt;
    std::ostringstream log;
    Room room{vitals_library(dir.path / "lib"), dir.path / "state", clock};
    VitalsDriver driver{*room.library().room.vitals, mqtt, device_clock,
                        [this](const std::string& s, VitalsPayload p, bool spot) {
                            room.vitals_reading(s, std::move(p), spot);
                        },
                        log};
    Rig() { room.add_driver(&driver); }
    void oxi(int spo2, int hr) {
        mqtt.deliver("ward/oxi1", R"({"SpO2": )" + std::to_string(spo2) + R"(, "pulse": {"bpm": )" +
                                      std::to_string(hr) + "}}");
    }
    // One oximeter reading a second for `seconds`.
    void oxi_for(int seconds, int spo2, int hr = 70) {
        for (int i = 0; i < seconds; ++i) {
            oxi(spo2, hr);
            clock.advance_by(1s);
            room.tick();
        }
    }
    Json session() { return room.state()["session"]; }
};

} // namespace

TEST_CASE("room vitals: subscriptions, live values, bad payloads dropped and counted") {
    Rig rig;
    CHECK(rig.mqtt.subscriptions == std::vector<std::string>{"ward/oxi1", "ble/bps1"});
    REQUIRE(rig.room.start({"s", ""}).ok);
    rig.oxi_for(3, 97, 64);
    const Json live = rig.session()["vitals_live"];
    CHECK(live["spo2"]["value"] == 97);
    CHECK(live["spo2"]["source"] == "oxi");
    CHECK(live["hr"]["value"] == 64);
    CHECK(live["spo2"]["age_s"] == 0);
    rig.clock.advance_by(2s);
    CHECK(rig.session()["vitals_live"]["hr"]["age_s"] == 2);
    // Garbage: dropped, counted, one log line a minute per source (with the count since).
    for (int i = 0; i < 5; ++i)
        rig.mqtt.deliver("ward/oxi1", "{not json");
    rig.mqtt.deliver("ble/bps1", "zz");
    CHECK(rig.driver.health()["dropped"] == 6);
    const std::string log = rig.log.str();
    CHECK(std::count(log.begin(), log.end(), '\n') == 2);
    CHECK(log.find("oxi: payload dropped") != std::string::npos);
    CHECK(log.find("{not json") == std::string::npos); // never quoted back
    rig.device_clock.advance_by(61s);
    rig.mqtt.deliver("ward/oxi1", "[]");
    CHECK(rig.log.str().find("4 more dropped") != std::string::npos);
    rig.mqtt.deliver("other/topic", "{}"); // another part of the room's traffic: not ours
    CHECK(rig.driver.health()["dropped"] == 7);
}

TEST_CASE("room vitals: a cuff reading is a session.vitals entry with the typed entry's flags") {
    Rig rig;
    REQUIRE(rig.room.start({"s", ""}).ok);
    // 0x2A35, mmHg, pulse rate: 160/95, 72 bpm (the template's systolic_max is 150).
    rig.mqtt.deliver("ble/bps1", "04 A000 5F00 7A00 4800");
    rig.clock.advance_by(1s);
    rig.room.tick();
    const Json vitals = rig.session()["vitals"];
    REQUIRE(vitals.size() == 1);
    CHECK(vitals[0]["source"] == "cuff");
    CHECK(vitals[0]["systolic"] == 160);
    CHECK(vitals[0]["diastolic"] == 95);
    CHECK(vitals[0]["hr"] == 72);
    CHECK(vitals[0]["flags"] == Json::array({"systolic_high"}));
    const Json alerts = rig.session()["alerts"];
    REQUIRE(alerts.size() == 1); // a spot breach needs no 10 s (the oximeter is not yet stale)
    CHECK(alerts[0]["kind"] == "systolic_high");
    CHECK(alerts[0]["priority"] == "medium");
    CHECK(alerts[0]["value"] == 160);
    // The oximeter that never sent anything is stale after stale_after (10 s).
    rig.clock.advance_by(10s);
    rig.room.tick();
    CHECK(rig.session()["alerts"].size() == 2);
    CHECK(rig.session()["alerts"][1]["kind"] == "sensor_stale");
    CHECK(rig.session()["alerts"][1]["source"] == "oxi");
}

TEST_CASE("room vitals: desaturation, ack over the room, clear; every episode journaled") {
    Rig rig;
    REQUIRE(rig.room.start({"s", ""}).ok);
    const std::string id = rig.session()["id"];
    rig.oxi_for(5, 97);
    rig.oxi_for(12, 86);
    Json alerts = rig.session()["alerts"];
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0]["kind"] == "spo2_low");
    CHECK(alerts[0]["priority"] == "high");
    CHECK(rig.room.ack_alert("nope", "t").status == 404);
    const auto ack = rig.room.ack_alert(alerts[0]["id"], "t");
    CHECK(ack.ok);
    CHECK(rig.session()["alerts"][0]["acked_by"] == "t");
    rig.oxi_for(31, 96);
    CHECK(rig.session()["alerts"].empty());
    const Json series = rig.room.vitals_series();
    CHECK(series["series"]["spo2"].size() == 48);
    Command end;
    end.kind = CommandKind::End;
    REQUIRE(rig.room.command(end).ok);
    rig.clock.advance_by(2min);
    rig.room.tick();
    const auto report = load_session_report(rig.dir.path / "state", id);
    REQUIRE(report);
    // The desaturation, and the oximeter going silent during the end fade (2 min later).
    REQUIRE((*report)["alerts"].size() == 2);
    const Json& a = (*report)["alerts"][0];
    CHECK(a["kind"] == "spo2_low");
    CHECK((*report)["alerts"][1]["kind"] == "sensor_stale");
    CHECK(a["acked_by"] == "t");
    CHECK(a["end_s"].is_number());
    CHECK(a["value"] == 86);
    CHECK_FALSE((*report)["vitals_trend"].empty());
}

TEST_CASE("room vitals: the state stays the same size over hours of readings") {
    Rig rig;
    REQUIRE(rig.room.start({"s", ""}).ok);
    rig.oxi_for(3600, 97); // an hour fills the tablet's trend (60 minute rows)
    const std::size_t after_an_hour = rig.room.state().dump().size();
    rig.oxi_for(3600, 97);
    const std::size_t after_two = rig.room.state().dump().size();
    CAPTURE(after_an_hour);
    CAPTURE(after_two);
    CHECK(after_two <= after_an_hour + 64); // digits of the clocks may grow; nothing else
}
