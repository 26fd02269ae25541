// Roles over every HTTP route: a hand-written table of the least role each route needs
// (written from DESIGN.md and docs/security.md, not derived from the API code), checked
// with a token of every role against the real HttpApi on a loopback port, with fakes of
// the room. A route the API registers that the table does not list fails the test, so a
// new route must be added here with its role.
#include "temp_dir.hpp"

#include "control/http_api.hpp"

#include <httplib.h>

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

// Who may call a route. Written out by hand: the test must not reuse role_allows().
enum class Need { Public, AnyLogin, Therapist, Curator, Clinic };
enum class Caller { Nobody, Therapist, Curator, Clinic };

bool may(Caller who, Need need) {
    switch (need) {
    case Need::Public:
        return true;
    case Need::AnyLogin:
        return who != Caller::Nobody;
    case Need::Therapist:
        return who == Caller::Therapist || who == Caller::Clinic;
    case Need::Curator:
        return who == Caller::Curator || who == Caller::Clinic;
    case Need::Clinic:
        return who == Caller::Clinic;
    }
    return false;
}

struct Row {
    const char* method;
    const char* pattern; // as the API registers it
    const char* path;    // an example request
    const char* body;
    Need need;
};

// One row per route (and per role rule where one route has several).
const Row kRoutes[] = {
    {"GET", "/", "/", "", Need::Public},
    {"POST", "/api/v1/login", "/api/v1/login", R"({"pin":"1357"})", Need::Public},
    {"POST", "/api/v1/logout", "/api/v1/logout", "{}", Need::AnyLogin},
    {"GET", "/api/v1/state", "/api/v1/state", "", Need::AnyLogin},
    {"GET", "/api/v1/events", "/api/v1/events", "", Need::AnyLogin},
    {"POST", "/api/v1/session/([a-z-]+)", "/api/v1/session/start", R"({"template":"s"})",
     Need::Therapist},
    {"POST", "/api/v1/session/([a-z-]+)", "/api/v1/session/hold", "{}", Need::Therapist},
    {"POST", "/api/v1/session/([a-z-]+)", "/api/v1/session/end", "{}", Need::Therapist},
    {"POST", "/api/v1/audio/(volume|skip|depth)", "/api/v1/audio/volume", R"({"db":-1})",
     Need::Therapist},
    {"POST", "/api/v1/audio/(volume|skip|depth)", "/api/v1/audio/skip", "{}", Need::Therapist},
    {"POST", "/api/v1/audio/(volume|skip|depth)", "/api/v1/audio/depth", R"({"step":0.1})",
     Need::Therapist},
    {"GET", "/api/v1/(playlists|scenes|sessions)", "/api/v1/playlists", "", Need::AnyLogin},
    {"GET", "/api/v1/(playlists|scenes|sessions)/([^/]+)", "/api/v1/scenes/calm", "",
     Need::AnyLogin},
    {"PUT", "/api/v1/(playlists|scenes|sessions)/([^/]+)", "/api/v1/playlists/p",
     R"({"tracks":[]})", Need::Curator},
    {"PUT", "/api/v1/(playlists|scenes|sessions)/([^/]+)", "/api/v1/scenes/calm",
     R"({"lights":{}})", Need::Clinic},
    {"PUT", "/api/v1/(playlists|scenes|sessions)/([^/]+)", "/api/v1/sessions/s", "{}",
     Need::Clinic},
    {"GET", "/api/v1/room", "/api/v1/room", "", Need::Clinic},
    {"PUT", "/api/v1/room", "/api/v1/room", "{}", Need::Clinic},
    {"GET", "/api/v1/playlists/([^/]+)/analysis", "/api/v1/playlists/p/analysis", "",
     Need::Curator},
    {"POST", "/api/v1/playlists/import-m3u", "/api/v1/playlists/import-m3u",
     R"({"m3u":"#EXTM3U\n"})", Need::Curator},
    {"GET", "/api/v1/playlists/([^/]+)/m3u", "/api/v1/playlists/p/m3u", "", Need::Curator},
    {"DELETE", "/api/v1/playlists/([^/]+)", "/api/v1/playlists/none", "", Need::Curator},
    {"POST", "/api/v1/devices/lights/([^/]+)/test", "/api/v1/devices/lights/lamp/test", "{}",
     Need::Clinic},
    {"POST", "/api/v1/devices/audio/test", "/api/v1/devices/audio/test", "{}", Need::Clinic},
    {"GET", "/api/v1/check", "/api/v1/check", "", Need::Curator},
    {"GET", "/api/v1/history", "/api/v1/history", "", Need::Therapist},
    {"GET", "/api/v1/reports/([^/]+)", "/api/v1/reports/s-000000000000", "", Need::Therapist},
    {"POST", "/api/v1/reports/([^/]+)/sign", "/api/v1/reports/s-000000000000/sign",
     R"({"pin":"1357"})", Need::Therapist},
    {"POST", "/api/v1/session/correct", "/api/v1/session/correct",
     R"({"seq":2,"reason":"entered-in-error"})", Need::Therapist},
    {"POST", "/api/v1/session/([a-z-]+)", "/api/v1/session/observe", R"({"code":"nausea"})",
     Need::Therapist},
    {"GET", "/api/v1/session/(timeline|summary)", "/api/v1/session/timeline", "", Need::AnyLogin},
    {"GET", "/api/v1/session/(timeline|summary)", "/api/v1/session/summary", "", Need::AnyLogin},
    {"GET", "/api/v1/audio/files", "/api/v1/audio/files", "", Need::Curator},
    {"GET", "/api/v1/audio/files/(.+)", "/api/v1/audio/files/audio/x.flac", "", Need::Curator},
    {"PUT", "/api/v1/audio/files/(.+)", "/api/v1/audio/files/audio/x.flac", "", Need::Curator},
    {"DELETE", "/api/v1/audio/files/(.+)", "/api/v1/audio/files/audio/x.flac", "", Need::Curator},
    {"POST", "/api/v1/audio/preview", "/api/v1/audio/preview", R"({"file":"audio/x.flac"})",
     Need::Curator},
    {"POST", "/api/v1/session/alerts/([A-Za-z0-9_-]{1,32})/ack", "/api/v1/session/alerts/a1/ack",
     "{}", Need::Therapist},
    {"GET", "/api/v1/session/vitals/series", "/api/v1/session/vitals/series", "", Need::Therapist},
    {"POST", "/api/v1/session/vitals/([0-9]{1,15})/ack", "/api/v1/session/vitals/7/ack", "{}",
     Need::Therapist},
};

struct RolesRoom final : RoomControl {
    int commands = 0;
    Json state() const override { return {{"session", nullptr}}; }
    Json timeline() const override { return nullptr; }
    Json summary() const override { return nullptr; }
    CommandResult start(const StartRequest&) override { return {true, 200, "", state()}; }
    CommandResult command(const Command&) override {
        ++commands;
        return {true, 200, "", state()};
    }
};

// The status of one request (a GET's stream is abandoned once the status is known).
int status_of(httplib::Client& client, const Row& row, const std::string& token) {
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    const std::string method = row.method;
    if (method == "GET") {
        int status = -1;
        client.Get(
            row.path, h,
            [&](const httplib::Response& r) {
                status = r.status;
                return false; // the status is all we need (and the event stream never ends)
            },
            [](const char*, std::size_t) { return false; });
        return status;
    }
    httplib::Result r = method == "PUT" ? client.Put(row.path, h, row.body, "application/json")
                        : method == "DELETE"
                            ? client.Delete(row.path, h)
                            : client.Post(row.path, h, row.body, "application/json");
    return r ? r->status : -1;
}

} // namespace

TEST_CASE("role_allows: clinic may do everything; otherwise a role may do what it is") {
    const Role roles[] = {Role::Therapist, Role::Curator, Role::Clinic};
    const bool expected[3][3] = {                      // need: therapist, curator, clinic
                                 {true, false, false}, // have: therapist
                                 {false, true, false}, // have: curator
                                 {true, true, true}};  // have: clinic
    for (int have = 0; have < 3; ++have)
        for (int need = 0; need < 3; ++need) {
            CAPTURE(have);
            CAPTURE(need);
            CHECK(role_allows(roles[have], roles[need]) == expected[have][need]);
        }
}

TEST_CASE(
    "every HTTP route x every role: the table lists every route and each route enforces its role") {
    TempDir dir;
    fs::create_directories(dir.path / "scenes");
    fs::create_directories(dir.path / "playlists");
    fs::create_directories(dir.path / "sessions");
    std::ofstream(dir.path / "room.json")
        << R"({"room":"r","lights":[{"id":"lamp","dialect":"simulated"}]})";
    std::ofstream(dir.path / "scenes/calm.json") << R"({"lights":{}})";
    std::ofstream(dir.path / "playlists/p.json") << R"({"tracks":[]})";
    std::ofstream(dir.path / "sessions/s.json")
        << R"({"name":"S","phases":[{"id":"a","duration":"1h"}]})";
    ManualDeviceClock clock;
    Auth auth({{"t", "therapist", hash_pin("1357")},
               {"c", "curator", hash_pin("8642")},
               {"k", "clinic", hash_pin("2468")}},
              clock);
    RolesRoom room;
    EventHub events;
    LibraryFiles files(dir.path, nullptr);
    HttpApiOptions options;
    options.port = 0;
    options.test_light = [](const std::string&) { return true; };
    options.test_tone = [] { return true; };
    SteadyDeviceClock guard_clock; // the HTTP guard's connection deadlines run in real time
    HttpApi api(options, room, auth, events, files, guard_clock);

    // Every registered route is in the table, and the table lists no route that is gone.
    std::set<std::pair<std::string, std::string>> listed;
    for (const auto& row : kRoutes)
        listed.insert({row.method, row.pattern});
    std::set<std::pair<std::string, std::string>> registered;
    for (const auto& r : api.route_list()) {
        CAPTURE(r.method);
        CAPTURE(r.pattern);
        CHECK_MESSAGE(
            listed.count({r.method, r.pattern}) == 1,
            "a new route: add it to kRoutes in tests/unit/test_http_roles.cpp with its least role");
        registered.insert({r.method, r.pattern});
    }
    for (const auto& l : listed) {
        CAPTURE(l.first);
        CAPTURE(l.second);
        CHECK_MESSAGE(registered.count(l) == 1, "the table lists a route the API no longer has");
    }

    std::string error;
    REQUIRE(api.start(&error));
    httplib::Client client("127.0.0.1", api.port());
    client.set_read_timeout(10, 0);
    const std::pair<const char*, Caller> pins[] = {
        {"1357", Caller::Therapist}, {"8642", Caller::Curator}, {"2468", Caller::Clinic}};
    std::map<Caller, std::string> tokens{{Caller::Nobody, ""}};
    auto login = [&](Caller who) {
        for (const auto& [pin, c] : pins)
            if (c == who) tokens[who] = auth.login(pin, "127.0.0.1").token;
        REQUIRE_FALSE(tokens[who].empty());
    };
    for (const auto& [pin, who] : pins)
        login(who);

    for (const auto& row : kRoutes) {
        for (const Caller who :
             {Caller::Nobody, Caller::Therapist, Caller::Curator, Caller::Clinic}) {
            CAPTURE(row.method);
            CAPTURE(row.path);
            CAPTURE(static_cast<int>(who));
            const int status = status_of(client, row, tokens[who]);
            REQUIRE(status > 0);
            if (may(who, row.need)) {
                CHECK(status != 401);
                CHECK(status != 403);
            } else {
                CHECK(status == (who == Caller::Nobody ? 401 : 403));
            }
            if (std::string(row.path) == "/api/v1/logout" && who != Caller::Nobody) login(who);
        }
    }
    api.stop();
}
