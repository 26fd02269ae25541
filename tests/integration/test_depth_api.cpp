// Depth over the real API (issue 22), modelled on the volume tests of test_tablet_api.cpp:
// POST /api/v1/audio/depth {"step" | "trim" | "level"}, GET /api/v1/state session.depth,
// the trim across phases and Comfort, the timeline's depth curve, and MQTT cmd/depth through
// a real mosquitto broker.
#include "../unit/temp_dir.hpp"
#include "api_client.hpp"
#include "helpers.hpp"
#include "process.hpp"
#include "services.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

void write_depth_library(const fs::path& lib, int http_port, int mqtt_port) {
    Json room = {
        {"room", "depth-api"},
        {"name", "Room 1"},
        {"lights", Json::array({{{"id", "lamp"}, {"dialect", "simulated"}}})},
        {"control",
         {{"listen", "127.0.0.1:" + std::to_string(http_port)}, {"users", three_users()}}}};
    if (mqtt_port > 0)
        room["mqtt"] = {{"url", "mqtt://127.0.0.1:" + std::to_string(mqtt_port)},
                        {"base_topic", "stillroom/depth"}};
    write_text(lib / "room.json", room.dump(2));
    write_text(lib / "scenes/calm.json",
               R"({"lights":{"*":{"on":true,"brightness":0.3,"kelvin":2700,
                   "deep":{"brightness":0.05,"kelvin":2000}}}})");
    write_text(lib / "scenes/comfort.json", R"({"lights":{"*":{"on":true,"brightness":0.2}}})");
    write_text(lib / "sessions/s.json", R"({"name":"S",
      "phases":[{"id":"settle","until":"dose","duration":"10m","scene":"calm","depth":0.2,"fade":"1s"},
                {"id":"peak","duration":"30m","depth":0.6,"fade":"1s"},
                {"id":"return","until":"therapist","duration":"20m","depth":0.1,"fade":"1s"}],
      "comfort":{"scene":"comfort","fade":"2s"},
      "end":{"fade":"1s"}})");
}

struct DepthRoom {
    TempDir dir;
    fs::path lib_dir = dir.path / "lib";
    int port = free_loopback_port();
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    std::unique_ptr<RoomServices> services;

    explicit DepthRoom(int mqtt_port = 0) {
        write_depth_library(lib_dir, port, mqtt_port);
        Problems problems;
        Library lib = load_library(lib_dir, problems);
        INFO(problems.to_string());
        REQUIRE_FALSE(problems.has_errors());
        services = std::make_unique<RoomServices>(
            std::move(lib), test_room_options(dir.path / "state"), clock, device_clock);
        services->start();
        REQUIRE(services->http());
    }
    ~DepthRoom() { services->stop(); }
};

} // namespace

TEST_CASE("depth API: step, trim and level; the trim survives Next; Comfort grounds and restores") {
    DepthRoom room;
    ApiClient api(room.port);
    const std::string therapist = api.login("1357");
    api.json("POST", "/api/v1/session/start", therapist, R"({"template":"s"})", 200);

    struct Row {
        const char* body;
        double trim, target;
    };
    // In settle (arc 0.2), one after another; each answer's state says the new depth.
    const Row rows[] = {
        {R"({"trim":0.2})", 0.2, 0.4},  {R"({"step":0.1})", 0.3, 0.5},
        {R"({"level":0.6})", 0.4, 0.6}, {R"({"step":1})", 1.0, 1.0},
        {R"({"step":-0.1})", 0.7, 0.9}, {R"({"trim":-0.1})", -0.1, 0.1},
    };
    for (const auto& row : rows) {
        CAPTURE(row.body);
        const Json d = api.json("POST", "/api/v1/audio/depth", therapist, row.body,
                                200)["state"]["session"]["depth"];
        CHECK(d["trim"].get<double>() == doctest::Approx(row.trim));
        CHECK(d["arc"].get<double>() == doctest::Approx(0.2));
        CHECK(d["target"].get<double>() == doctest::Approx(row.target));
        CHECK(d["effective"].is_number());
    }
    // GET /state says the same; the effective depth reaches the target after the 3 s ramp.
    REQUIRE(eventually(
        [&] {
            const Json d = api.json("GET", "/api/v1/state", therapist, "", 200)["session"]["depth"];
            return std::fabs(d["effective"].get<double>() - 0.1) < 1e-6;
        },
        60));
    // The trim survives Next: peak's arc 0.6 - 0.1 = 0.5.
    api.json("POST", "/api/v1/session/dose", therapist, "{}", 200);
    Json d = api.json("GET", "/api/v1/state", therapist, "", 200)["session"]["depth"];
    CHECK(d["arc"].get<double>() == doctest::Approx(0.6));
    CHECK(d["trim"].get<double>() == doctest::Approx(-0.1));
    CHECK(d["target"].get<double>() == doctest::Approx(0.5));
    // Comfort: depth 0, the trim kept; released: back to 0.5.
    d = api.json("POST", "/api/v1/session/comfort", therapist, "{}",
                 200)["state"]["session"]["depth"];
    CHECK(d["target"].get<double>() == doctest::Approx(0));
    CHECK(d["trim"].get<double>() == doctest::Approx(-0.1));
    d = api.json("POST", "/api/v1/session/comfort", therapist, R"({"on":false})",
                 200)["state"]["session"]["depth"];
    CHECK(d["target"].get<double>() == doctest::Approx(0.5));
    // The timeline carries the depth curve: points (t, depth), the comfort dip back to 0.5,
    // and the plan on from now: return's arc 0.1 with the trim -0.1 is 0.
    const Json timeline = api.json("GET", "/api/v1/session/timeline", therapist, "", 200);
    REQUIRE(timeline["depth"].is_array());
    REQUIRE(timeline["depth"].size() >= 4);
    bool back_to_half = false;
    for (const auto& p : timeline["depth"])
        back_to_half = back_to_half || (p["t"].get<double>() <= timeline["now"].get<double>() + 3 &&
                                        std::fabs(p["depth"].get<double>() - 0.5) < 1e-9);
    CHECK(back_to_half);
    CHECK(timeline["depth"].back()["depth"].get<double>() == doctest::Approx(0.0));
    // Bad forms are 400s naming what is expected; nothing changes.
    for (const char* bad : {R"({"step":0.1,"trim":0.2})", R"({"level":1.5})", R"({"step":"up"})",
                            R"({})", R"({"step_db":2})"}) {
        CAPTURE(bad);
        const Json r = api.json("POST", "/api/v1/audio/depth", therapist, bad, 400);
        CHECK(r["error"].is_string());
    }
    d = api.json("GET", "/api/v1/state", therapist, "", 200)["session"]["depth"];
    CHECK(d["target"].get<double>() == doctest::Approx(0.5));
    // Without a token: 401; a curator (no session control): 403.
    api.json("POST", "/api/v1/audio/depth", "", R"({"step":0.1})", 401);
    const std::string curator = api.login("8642");
    api.json("POST", "/api/v1/audio/depth", curator, R"({"step":0.1})", 403);
}

TEST_CASE("depth API: MQTT cmd/depth through a real mosquitto broker") {
    const int mqtt_port = free_loopback_port();
    TempDir broker_dir;
    Broker broker(broker_dir.path.string(), mqtt_port);
    REQUIRE(broker.start());
    DepthRoom room(mqtt_port);
    REQUIRE(eventually([&] { return room.services->mqtt()->connected(); }, 50));
    REQUIRE(room.services->room().start({"s", ""}).ok);
    auto depth_now = [&] { return room.services->room().state()["session"]["depth"]; };
    const std::string p = std::to_string(mqtt_port);
    struct Row {
        const char* payload;
        double trim;
    };
    const Row rows[] = {
        {R"({"trim":0.3})", 0.3}, {R"({"step":-0.1})", 0.2}, {R"({"level":0.9})", 0.7}};
    for (const auto& row : rows) {
        CAPTURE(row.payload);
        Process pub;
        REQUIRE(pub.start({"mosquitto_pub", "-h", "127.0.0.1", "-p", p, "-q", "1", "-t",
                           "stillroom/depth/cmd/depth", "-m", row.payload}));
        CHECK(eventually(
            [&] { return std::fabs(depth_now()["trim"].get<double>() - row.trim) < 1e-9; }, 50));
    }
    // A bad payload changes nothing.
    Process pub;
    REQUIRE(pub.start({"mosquitto_pub", "-h", "127.0.0.1", "-p", p, "-q", "1", "-t",
                       "stillroom/depth/cmd/depth", "-m", R"({"level":3})"}));
    Process again;
    REQUIRE(again.start({"mosquitto_pub", "-h", "127.0.0.1", "-p", p, "-q", "1", "-t",
                         "stillroom/depth/cmd/depth", "-m", R"({"trim":0.05})"}));
    CHECK(
        eventually([&] { return std::fabs(depth_now()["trim"].get<double>() - 0.05) < 1e-9; }, 50));
}
