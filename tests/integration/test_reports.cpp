// History, reports and observations over the real HTTP API on a loopback port: a session
// run through the API, then its report in every format, for each role, with bad ids.
#include "../unit/temp_dir.hpp"
#include "api_client.hpp"
#include "helpers.hpp"
#include "process.hpp"

#include "services.hpp"

#include <httplib.h>

#include <doctest/doctest.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

using Client = ApiClient;

} // namespace

TEST_CASE("history, reports and observations over the HTTP API") {
    TempDir dir;
    const fs::path lib_dir = dir.path / "lib";
    const int port = free_loopback_port();
    write_text(lib_dir / "room.json",
               Json{{"room", "report-test"},
                    {"state", {{"retention_days", 30}}},
                    {"lights", Json::array({{{"id", "lamp"}, {"dialect", "simulated"}}})},
                    {"control",
                     {{"listen", "127.0.0.1:" + std::to_string(port)}, {"users", three_users()}}}}
                   .dump(2));
    write_text(lib_dir / "scenes/calm.json", R"({"lights":{"*":{"on":true,"brightness":0.2}}})");
    write_text(
        lib_dir / "sessions/rems.json",
        R"({"name":"REMS","record":"spravato-rems","observations":["nausea","sedation","dissociation","respiratory"],
                   "phases":[{"id":"settle","until":"dose","duration":"10m","scene":"calm"},
                             {"id":"watch","until":"therapist","duration":"2h","scene":"calm"}],
                   "end":{"fade":"1s"}})");
    Problems problems;
    Library lib = load_library(lib_dir, problems);
    INFO(problems.to_string());
    REQUIRE(problems.error_count() == 0);
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    RoomServices services(std::move(lib), test_room_options(dir.path / "state"), clock,
                          device_clock);
    services.start();
    REQUIRE(services.http());
    Client api(port);
    const std::string therapist = api.login("1357");
    const std::string curator = api.login("8642");
    const std::string clinic = api.login("2468");

    // No session: observing is refused.
    auto r = api.post("/api/v1/session/observe", therapist, {{"code", "nausea"}});
    REQUIRE(r);
    CHECK(r->status == 409);

    r = api.post("/api/v1/session/start", therapist, {{"template", "rems"}, {"label", "R2"}});
    REQUIRE(r);
    REQUIRE(r->status == 200);
    const std::string id = Json::parse(r->body)["state"]["session"]["id"].get<std::string>();
    CHECK(Json::parse(r->body)["state"]["session"]["observations"] ==
          Json::array({"nausea", "sedation", "dissociation", "respiratory"}));
    CHECK(api.post("/api/v1/session/vitals", therapist, {{"systolic", 124}, {"diastolic", 80}})
              ->status == 200);
    CHECK(api.post("/api/v1/session/dose", therapist, Json::object())->status == 200);
    CHECK(api.post("/api/v1/session/observe", therapist, {{"code", "sedation"}})->status == 200);
    r = api.post("/api/v1/session/observe", therapist, {{"code", "headache"}}); // not offered here
    CHECK(r->status == 409);
    CHECK(Json::parse(r->body)["error"].get<std::string>().find("not an observation") !=
          std::string::npos);
    CHECK(api.post("/api/v1/session/observe", therapist, {{"code", "felt sick"}})->status ==
          400); // no free text
    CHECK(api.post("/api/v1/session/observe", curator, {{"code", "nausea"}})->status == 403);
    CHECK(api.post("/api/v1/session/end", therapist, Json::object())->status == 200);
    REQUIRE(eventually(
        [&] {
            auto s = api.get("/api/v1/state", therapist);
            return s && Json::parse(s->body)["session"]["status"] == "finished";
        },
        100));

    SUBCASE("history lists the session with its flags") {
        for (const std::string* token : {&therapist, &clinic}) {
            auto h = api.get("/api/v1/history", *token);
            REQUIRE(h);
            REQUIRE(h->status == 200);
            const Json sessions = Json::parse(h->body)["sessions"];
            REQUIRE(sessions.size() == 1);
            CHECK(sessions[0]["id"] == id);
            CHECK(sessions[0]["label"] == "R2");
            CHECK(sessions[0]["template_id"] == "rems");
            CHECK(sessions[0]["status"] == "finished");
            CHECK(sessions[0]["date"].is_string());
            CHECK(sessions[0]["flags"].dump().find("form_incomplete") != std::string::npos);
            CHECK(sessions[0]["missing"].dump().find("BP at ~40 min: missing") !=
                  std::string::npos);
        }
        CHECK(api.get("/api/v1/history", curator)->status == 403);
        CHECK(api.get("/api/v1/history", "")->status == 401);
    }

    SUBCASE("a report in each format, for the roles that may read it") {
        const std::string path = "/api/v1/reports/" + id;
        auto json = api.get(path, therapist);
        REQUIRE(json);
        CHECK(json->status == 200);
        CHECK(json->get_header_value("Content-Type") == "application/json");
        const Json report = Json::parse(json->body);
        CHECK(report["session"]["id"] == id);
        REQUIRE(report["observations"].size() == 1);
        CHECK(report["observations"][0]["code"] == "sedation");
        CHECK(report["vitals"][0]["systolic"] == 124);
        CHECK(report["form"]["id"] == "spravato-rems");

        auto csv = api.get(path + "?format=csv", clinic);
        REQUIRE(csv);
        CHECK(csv->status == 200);
        CHECK(csv->get_header_value("Content-Type").rfind("text/csv", 0) == 0);
        CHECK(csv->body.find(",observation,sedation,") != std::string::npos);

        auto html = api.get(path + "?format=html", therapist);
        REQUIRE(html);
        CHECK(html->status == 200);
        CHECK(html->get_header_value("Content-Security-Policy").find("default-src 'none'") !=
              std::string::npos);
        CHECK(html->body.find("<svg class=\"timeline\"") != std::string::npos);

        CHECK(api.get(path, curator)->status == 403);
        CHECK(api.get(path, "")->status == 401);
        CHECK(api.get(path + "?format=pdf", therapist)->status == 400);
    }

    SUBCASE("ids are validated: no path escapes, unknown ids are 404") {
        struct Row {
            const char* path;
            int status;
        };
        const Row rows[] = {
            {"/api/v1/reports/s-000000000000", 404},
            // An encoded "/" never reaches the id check: the router finds no such route (404).
            {"/api/v1/reports/..", 400},
            {"/api/v1/reports/..%2F..%2Froom", 404},
            {"/api/v1/reports/s.jsonl", 400},
            {"/api/v1/reports/%2Fetc%2Fpasswd", 404},
            {"/api/v1/reports/tokens", 404},
        };
        for (const auto& row : rows) {
            const std::string path = row.path;
            CAPTURE(path);
            auto res = api.get(row.path, clinic);
            REQUIRE(res);
            CHECK(res->status == row.status);
            CHECK(Json::parse(res->body).contains("error"));
        }
    }
    services.stop();
}
