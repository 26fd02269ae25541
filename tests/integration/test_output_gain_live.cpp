// The clinic's output gains, saved over the API while the room plays, reach the running
// mixer's output groups (ramped there; the ramp itself is proven in unit/test_output_gain.cpp)
// without a restart; an output whose channels changed waits for a restart and says so.
#include "../unit/temp_dir.hpp"
#include "api_client.hpp"
#include "helpers.hpp"
#include "process.hpp"
#include "services.hpp"

#include <doctest/doctest.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

double output_gain(ApiClient& api, const std::string& token, const std::string& id) {
    const Json st = api.json("GET", "/api/v1/state", token, "", 200);
    for (const auto& d : st["devices"])
        if (d["id"] == "audio")
            for (const auto& o : d["outputs"])
                if (o["id"] == id) return o["gain_db"].get<double>();
    return 999;
}

} // namespace

TEST_CASE("output gains saved by the clinic apply to the running room, no restart") {
    TempDir dir;
    const fs::path lib = dir.path / "lib";
    const int port = free_loopback_port();
    write_text(
        lib / "room.json",
        Json{{"room", "gains"},
             {"name", "Room 1"},
             {"audio",
              {{"outputs",
                Json::array({{{"id", "room"}, {"channels", {1, 2}}, {"gain_db", 0}},
                             {{"id", "headphones"}, {"channels", {3, 4}}, {"gain_db", -6}}})}}},
             {"control",
              {{"listen", "127.0.0.1:" + std::to_string(port)},
               {"users",
                Json::array(
                    {{{"name", "k"}, {"role", "clinic"}, {"pin_hash", hash_pin("2468")}}})}}}}
            .dump(2));
    Problems problems;
    Library library = load_library(lib, problems);
    INFO(problems.to_string());
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    RoomServicesOptions options = test_room_options(dir.path / "state");
    options.audio = "null";
    RoomServices services(std::move(library), options, clock, device_clock);
    services.start();
    REQUIRE(services.audio());
    ApiClient api(port);
    const std::string clinic = api.login("2468");
    CHECK(output_gain(api, clinic, "room") == doctest::Approx(0));
    CHECK(output_gain(api, clinic, "headphones") == doctest::Approx(-6));

    Json room = api.json("GET", "/api/v1/room", clinic, "", 200);
    room["audio"]["outputs"][1]["gain_db"] = -12.5;
    api.json("PUT", "/api/v1/room", clinic, room.dump(), 200);
    CHECK(eventually(
        [&] { return output_gain(api, clinic, "headphones") == doctest::Approx(-12.5); }, 100));
    CHECK(output_gain(api, clinic, "room") == doctest::Approx(0));

    // A changed channel layout is not remapped under a playing room: the gain stays.
    room["audio"]["outputs"][0]["channels"] = Json::array({5, 6});
    room["audio"]["outputs"][0]["gain_db"] = -3;
    api.json("PUT", "/api/v1/room", clinic, room.dump(), 200);
    room["audio"]["outputs"][1]["gain_db"] = -4; // a later gain change still applies
    room["audio"]["outputs"][0]["channels"] = Json::array({1, 2});
    room["audio"]["outputs"][0]["gain_db"] = 0;
    api.json("PUT", "/api/v1/room", clinic, room.dump(), 200);
    CHECK(eventually([&] { return output_gain(api, clinic, "headphones") == doctest::Approx(-4); },
                     100));
    CHECK(output_gain(api, clinic, "room") == doctest::Approx(0));
    CHECK(services.audio()->set_output_gains({{"room", {5, 6}, -3}, {"headphones", {3, 4}, -4}}) ==
          std::vector<std::string>{"room"});
    services.stop();
}
