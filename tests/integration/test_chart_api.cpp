// The chart's structured dose and the monitoring clock over the real HTTP API on a loopback
// port (docs/api.md "Structured dose fields and the monitoring clock"): a dose outside the
// template's declaration is a 400 naming the field, a good one answers its seq and is listed
// with its fields in GET /state, a wrong-value correction is checked the same way; the
// discharge is refused naming the checklist item, and the report carries all of it.
#include "../unit/temp_dir.hpp"
#include "api_client.hpp"
#include "helpers.hpp"
#include "process.hpp"

#include "services.hpp"

#include <doctest/doctest.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

TEST_CASE("the HTTP API: structured dose fields, their correction, the discharge checklist") {
    TempDir dir;
    const fs::path lib_dir = dir.path / "lib";
    const int port = free_loopback_port();
    write_text(lib_dir / "room.json",
               Json{{"room", "chart-api"},
                    {"control",
                     {{"listen", "127.0.0.1:" + std::to_string(port)}, {"users", three_users()}}}}
                   .dump(2));
    write_text(lib_dir / "sessions/s.json", R"({"name": "S",
      "dose": {"fields": {"amount_mg": {"min": 0, "max": 200}, "route": ["IM", "IV", "SL", "IN"]}},
      "monitoring": {"after_dose": "1m"},
      "phases": [{"id": "settle", "until": "dose", "duration": "10m"},
                 {"id": "rest", "until": "therapist", "duration": "1h"}]})");
    Problems problems;
    Library lib = load_library(lib_dir, problems);
    REQUIRE_MESSAGE(!problems.has_errors(), problems.to_string());
    ScaledClock clock(10); // session time 10 times faster: the monitoring minute in 6 s
    SteadyDeviceClock device_clock;
    RoomServices services(std::move(lib), test_room_options(dir.path / "state"), clock,
                          device_clock);
    services.start();
    REQUIRE(services.http());
    ApiClient api(port);
    const std::string t = api.login("1357");
    api.json("POST", "/api/v1/session/start", t, R"({"template":"s","label":"R1-AM"})", 200);

    struct Row {
        const char* body;
        int status;
        const char* error_or_problem; // the field the answer names
    };
    const Row refused[] = {
        {R"({"amount_mg": 250, "route": "IM"})", 400, "amount_mg: expected 0 to 200 mg, got 250"},
        {R"({"amount_mg": 75, "route": "PO"})", 400, "route: expected one of IM, IV, SL, IN"},
        {R"({"route": "left deltoid"})", 400, "route"},
        {R"({"amount_mg": "75"})", 400, "amount_mg"},
        {R"({"amount_mg": 75, "note": "patient anxious"})", 400, "note"},
    };
    for (const auto& r : refused) {
        CAPTURE(r.body);
        const Json out = api.json("POST", "/api/v1/session/dose", t, r.body, r.status);
        CHECK(out.dump().find(r.error_or_problem) != std::string::npos);
    }
    // None of those marked the dose.
    CHECK(api.json("GET", "/api/v1/state", t, "", 200)["session"]["since_dose"].is_null());

    const Json dose =
        api.json("POST", "/api/v1/session/dose", t, R"({"amount_mg": 75, "route": "IM"})", 200);
    REQUIRE(dose["seq"].is_number_integer());
    const std::int64_t seq = dose["seq"];
    Json entry;
    for (const auto& e : dose["state"]["session"]["entries"])
        if (e["seq"] == seq) entry = e;
    CHECK(entry["kind"] == "dose");
    CHECK(entry["by"] == "t");
    CHECK(entry["value"] == Json{{"amount_mg", 75}, {"route", "IM"}});

    const std::string bad_fix =
        Json{{"seq", seq}, {"reason", "wrong-value"}, {"value", {{"route", "PO"}}}}.dump();
    CHECK(api.json("POST", "/api/v1/session/correct", t, bad_fix, 400)["error"] ==
          "value.route: expected one of IM, IV, SL, IN, got \"PO\"");
    const std::string fix = Json{{"seq", seq},
                                 {"reason", "wrong-value"},
                                 {"value", {{"amount_mg", 50}, {"route", "IM"}}}}
                                .dump();
    api.json("POST", "/api/v1/session/correct", t, fix, 200);

    // The monitoring clock: a minute after the dose, and a blood pressure in range.
    const char* ok = R"({"sedation_resolved": true, "dissociation_resolved": true})";
    Json early = api.json("POST", "/api/v1/session/discharge", t, ok, 409);
    CHECK(early["error"].get<std::string>().rfind("monitoring_time: ", 0) == 0);
    const Json m = early["state"]["session"]["monitoring"];
    CHECK(m["after_dose_s"] == 60.0);
    CHECK(m["left_s"].get<double>() > 0);
    api.json("POST", "/api/v1/session/discharge", t,
             R"({"sedation_resolved": false, "dissociation_resolved": true})", 400);
    api.json("POST", "/api/v1/session/vitals", t, R"({"systolic": 128, "diastolic": 80})", 200);
    REQUIRE(eventually(
        [&] {
            return api.json("GET", "/api/v1/state", t, "", 200)["session"]["monitoring"]["ready"] ==
                   true;
        },
        300)); // the session's minute: 6 s (30 s bound)
    const Json done = api.json("POST", "/api/v1/session/discharge", t, ok, 200);
    CHECK(done["state"]["session"]["monitoring"]["discharged"]["by"] == "t");
    const std::string id = done["state"]["session"]["id"];
    api.json("POST", "/api/v1/session/end", t, "{}", 200);

    const Json report = api.json("GET", "/api/v1/reports/" + id, t, "", 200);
    CHECK(report["dose"]["amount_mg"] == 75);
    CHECK(report["dose"]["amended"]["amount_mg"] == 50);
    CHECK(report["monitoring"]["discharge"]["checklist"]["bp"]["systolic"] == 128);
    services.stop();
}

// A flagged reading's Seen is the room's, not one tablet's (docs/api.md "A flagged reading
// seen"): the therapist acknowledges it once, every client's state says so (who and when),
// also after the room restarts; a second Seen changes nothing; only a vitals entry of this
// session can be acknowledged.
TEST_CASE("the HTTP API: a flagged vitals reading seen on one tablet is seen for the room") {
    TempDir dir;
    const fs::path lib_dir = dir.path / "lib";
    const int port = free_loopback_port();
    write_text(lib_dir / "room.json",
               Json{{"room", "seen-api"},
                    {"control",
                     {{"listen", "127.0.0.1:" + std::to_string(port)}, {"users", three_users()}}}}
                   .dump(2));
    write_text(lib_dir / "sessions/s.json", R"({"name": "S",
      "phases": [{"id": "rest", "until": "therapist", "duration": "1h"}]})");
    auto entry_of = [](const Json& state, std::int64_t seq) {
        for (const auto& e : state["session"]["entries"])
            if (e["seq"] == seq) return e;
        return Json();
    };
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    std::int64_t flagged = 0;
    {
        Problems problems;
        RoomServices services(load_library(lib_dir, problems),
                              test_room_options(dir.path / "state"), clock, device_clock);
        REQUIRE_MESSAGE(!problems.has_errors(), problems.to_string());
        services.start();
        REQUIRE(services.http());
        ApiClient api(port);
        const std::string tablet = api.login("1357"), clinic = api.login("2468");
        api.json("POST", "/api/v1/session/start", tablet, R"({"template":"s","label":"R1-AM"})",
                 200);
        const Json dose = api.json("POST", "/api/v1/session/dose", tablet, "{}", 200);
        const Json reading = api.json("POST", "/api/v1/session/vitals", tablet,
                                      R"({"systolic": 175, "diastolic": 90})", 200);
        flagged = reading["seq"];
        REQUIRE(!reading["state"]["session"]["vitals"].back()["flags"].empty());
        CHECK_FALSE(entry_of(reading["state"], flagged).contains("acked_by"));

        struct Row {
            std::string path;
            int status;
            const char* says;
        };
        const Row refused[] = {
            {"/api/v1/session/vitals/999/ack", 404, "no vitals reading with seq 999"},
            {"/api/v1/session/vitals/" + std::to_string(dose["seq"].get<std::int64_t>()) + "/ack",
             404, "no vitals reading with seq"},
        };
        for (const auto& r : refused) {
            CAPTURE(r.path);
            const Json out = api.json("POST", r.path, tablet, "{}", r.status);
            CHECK(out["error"].get<std::string>().find(r.says) != std::string::npos);
        }
        const std::string ack = "/api/v1/session/vitals/" + std::to_string(flagged) + "/ack";
        const Json seen = api.json("POST", ack, tablet, "{}", 200);
        CHECK(seen["seq"].get<std::int64_t>() > flagged);
        // The other tablet (the clinic's login here) sees it acknowledged by the therapist.
        const Json other = entry_of(api.json("GET", "/api/v1/state", clinic, "", 200), flagged);
        CHECK(other["acked_by"] == "t");
        CHECK(other["acked_clock"].is_string());
        // A second Seen (the other tablet a moment later) keeps the first.
        const Json again = api.json("POST", ack, clinic, "{}", 200);
        CHECK(again["note"].get<std::string>().rfind("already seen by t at ", 0) == 0);
        CHECK(entry_of(again["state"], flagged)["acked_by"] == "t");
        services.stop();
    }
    // The room restarts (the session resumes from its journal): still seen.
    Problems problems;
    RoomServices services(load_library(lib_dir, problems), test_room_options(dir.path / "state"),
                          clock, device_clock);
    services.start();
    REQUIRE(services.http());
    ApiClient api(port);
    const std::string tablet = api.login("1357");
    CHECK(entry_of(api.json("GET", "/api/v1/state", tablet, "", 200), flagged)["acked_by"] == "t");
    services.stop();
}
