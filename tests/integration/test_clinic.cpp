// The clinic overview against real rooms: ten `stillroom run` processes (simulated lights,
// no audio) and one overview on one mosquitto on loopback. The overview lists every room,
// a due reminder raises an alert, a room killed with SIGKILL shows offline (its will) within
// 10 s, and an overview started after the rooms' retained states were cleared still gets
// every room (they answer its announcement). The page's API needs a login.
#include "../unit/temp_dir.hpp"
#include "api_client.hpp"
#include "helpers.hpp"
#include "process.hpp"

#include "clinic/clinic_service.hpp"
#include "control/auth.hpp"

#include <doctest/doctest.h>

#include <memory>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

constexpr int kRooms = 10;

std::string room_id(int i) {
    return "room-" + std::string(i < 10 ? "0" : "") + std::to_string(i);
}

void make_room_library(const fs::path& dir, const std::string& id, int broker_port,
                       bool library_commands) {
    write_text(dir / "room.json",
               Json{{"room", id},
                    {"name", "Room " + id.substr(5)},
                    {"mqtt",
                     {{"url", "mqtt://127.0.0.1:" + std::to_string(broker_port)},
                      {"library_commands", library_commands}}},
                    {"lights", Json::array({{{"id", "lamp"}, {"dialect", "simulated"}}})}}
                   .dump());
    write_text(dir / "scenes/calm.json", R"({"lights":{"*":{"on":true,"brightness":0.2}}})");
    write_text(
        dir / "sessions/s.json",
        R"({"name":"Short","phases":[{"id":"settle","name":"Settle","until":"therapist","duration":"1h","scene":"calm"}],
      "cues":[{"at":"start+1s","remind":"Check blood pressure","vitals":true}]})");
}

Json rooms_of(ApiClient& api, const std::string& token) {
    auto r = api.get("/api/v1/rooms", token);
    if (!r || r->status != 200) return Json::object();
    return Json::parse(r->body, nullptr, false);
}

bool has_alert(const Json& room, const std::string& kind) {
    if (!room.is_object()) return false;
    for (const auto& a : room["alerts"])
        if (a["kind"] == kind) return true;
    return false;
}

ClinicConfig clinic_config(int broker_port, int http_port, const std::string& id) {
    Problems problems;
    auto c = load_clinic_config(
        Json{{"clinic", id},
             {"name", "Test clinic"},
             {"mqtt", {{"url", "mqtt://127.0.0.1:" + std::to_string(broker_port)}}},
             {"alerts", {{"reminder_overdue_minutes", 0}}},
             {"control",
              {{"listen", "127.0.0.1:" + std::to_string(http_port)},
               {"users",
                Json::array({{{"name", "desk"}, {"role", "clinic"}, {"pin_hash", hash_pin("2468")}},
                             {{"name", "nurse"},
                              {"role", "therapist"},
                              {"pin_hash", hash_pin("1357")}}})}}}},
        problems);
    REQUIRE_MESSAGE(c, problems.to_string());
    return *c;
}

} // namespace

TEST_CASE("clinic overview: ten rooms on one mosquitto, alerts, a killed room, an overview started "
          "late") {
    TempDir dir;
    const int broker_port = free_loopback_port();
    Broker broker(dir.path.string(), broker_port);
    REQUIRE(broker.start());

    std::vector<std::unique_ptr<Process>> rooms;
    for (int i = 0; i < kRooms; ++i) {
        const fs::path lib = dir.path / room_id(i);
        make_room_library(lib, room_id(i), broker_port, i != 9); // room-09 takes no library changes
        auto p = std::make_unique<Process>();
        std::vector<std::string> argv = {STILLROOM_EXE, "run",         "--library",
                                         lib.string(),  "--state-dir", (lib / "state").string(),
                                         "--audio",     "off",         "--listen",
                                         "off"};
        if (i == 0) {
            argv.push_back("--start"); // room-00 is in session; its reminder falls due after 1 s
            argv.push_back("s");
        }
        REQUIRE(p->start(argv, (dir.path / (room_id(i) + ".log")).string(), true));
        rooms.push_back(std::move(p));
    }

    SteadyDeviceClock clock;
    const int http_port = free_loopback_port();
    auto service =
        std::make_unique<ClinicService>(clinic_config(broker_port, http_port, "north"), clock);
    REQUIRE_FALSE(service->start());
    ApiClient api(http_port);
    // Nothing without a login.
    auto anon = api.get("/api/v1/rooms", "");
    REQUIRE(anon);
    CHECK(anon->status == 401);
    const std::string token = api.login("2468");

    // Every room, online; room-00 in session, with its due reminder as an alert.
    Json body;
    CHECK(eventually(
        [&] {
            body = rooms_of(api, token);
            return body.contains("counts") && body["counts"]["online"] == kRooms;
        },
        300));
    CAPTURE(body.dump());
    CHECK(body["counts"]["rooms"] == kRooms);
    CHECK(body["clinic"]["name"] == "Test clinic");
    CHECK(eventually(
        [&] { return has_alert(room_in(rooms_of(api, token), "room-00"), "reminder_overdue"); },
        100));
    body = rooms_of(api, token);
    const Json r0 = room_in(body, "room-00");
    REQUIRE(r0.is_object());
    CHECK(r0["session"]["phase"]["name"] == "Settle");
    CHECK(r0["session"]["template"] == "Short");
    CHECK(room_in(body, "room-03")["session"].is_null());
    CHECK(room_in(body, "room-03")["alerts"].empty());

    // One library for many rooms: the curator's playlist to two chosen rooms (and one that
    // does not exist). Every room started with the same files: the same version.
    const std::string v0 = room_in(body, "room-01")["library"]["version"];
    CHECK(v0.size() == 16);
    CHECK(room_in(body, "room-04")["library"]["version"] == v0);
    const std::string playlist = R"({"name":"Evening","loop":true,"tracks":[]})";
    const std::string nurse = api.login("1357");
    CHECK(api.call("PUT", "/api/v1/library/playlists/evening", nurse,
                   R"({"content":)" + playlist + "}")
              ->status == 403);
    Json sent =
        api.json("PUT", "/api/v1/library/playlists/evening", token,
                 R"({"rooms":["room-01","room-02","room-77"],"content":)" + playlist + "}", 202);
    CHECK(sent["sent"] == Json::array({"room-01", "room-02"}));
    CHECK(sent["unknown"] == Json::array({"room-77"}));
    auto changed = [&](const std::string& id) {
        const Json r = room_in(rooms_of(api, token), id);
        return r.is_object() && r["library"]["last_change"].is_object() &&
               r["library"]["last_change"]["ok"] == true && r["library"]["version"] != v0;
    };
    CHECK(eventually([&] { return changed("room-01") && changed("room-02"); }, 100));
    CHECK(fs::exists(dir.path / "room-01/playlists/evening.json"));
    CHECK_FALSE(fs::exists(dir.path / "room-03/playlists/evening.json"));
    body = rooms_of(api, token);
    CHECK(room_in(body, "room-01")["library"]["version"] ==
          room_in(body, "room-02")["library"]["version"]);
    CHECK(room_in(body, "room-03")["library"]["version"] == v0);
    // Invalid content is refused by the room (its own validation), and the reason shows.
    api.json("PUT", "/api/v1/library/playlists/broken", token,
             R"({"rooms":["room-01"],"content":{"tracks":"x"}})", 202);
    CHECK(eventually(
        [&] {
            const Json r = room_in(rooms_of(api, token), "room-01");
            return r["library"]["last_change"]["name"] == "broken" &&
                   r["library"]["last_change"]["ok"] == false;
        },
        100));
    CHECK_FALSE(fs::exists(dir.path / "room-01/playlists/broken.json"));
    // A room whose room.json does not allow library changes says so.
    api.json("PUT", "/api/v1/library/playlists/evening", token,
             R"({"rooms":["room-09"],"content":)" + playlist + "}", 202);
    CHECK(eventually(
        [&] {
            const Json r = room_in(rooms_of(api, token), "room-09");
            return r["library"]["last_change"].is_object() &&
                   r["library"]["last_change"]["ok"] == false;
        },
        100));
    CHECK_FALSE(fs::exists(dir.path / "room-09/playlists/evening.json"));

    // room-05 dies: the broker publishes its will, the overview shows it offline.
    rooms[5]->kill_hard();
    CHECK(eventually([&] { return room_in(rooms_of(api, token), "room-05")["online"] == false; },
                     100));
    CHECK(rooms_of(api, token)["counts"]["online"] == kRooms - 1);

    // A second overview, after room-00's retained state was cleared (a clustered broker
    // may not have it on this node): room-00 answers the announcement with its state.
    service->stop();
    service.reset();
    Process clear;
    REQUIRE(clear.start({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker_port),
                         "-t", "stillroom/room-00/state", "-r", "-n"}));
    CHECK(eventually([&] { return clear.exited(); }, 50));
    const int http_port2 = free_loopback_port();
    service =
        std::make_unique<ClinicService>(clinic_config(broker_port, http_port2, "south"), clock);
    REQUIRE_FALSE(service->start());
    ApiClient api2(http_port2);
    const std::string token2 = api2.login("2468");
    CHECK(eventually(
        [&] {
            const Json r = room_in(rooms_of(api2, token2), "room-00");
            return r.is_object() && r["session"].is_object();
        },
        100));
    body = rooms_of(api2, token2);
    CHECK(body["counts"]["rooms"] == kRooms);
    CHECK(body["counts"]["online"] == kRooms - 1);
    service->stop();
    for (auto& p : rooms)
        p->stop();
}
