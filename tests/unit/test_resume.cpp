// Resuming after a reboot (a power cut): the monotonic clock restarted, so the boot id
// differs and the wall clock bridges the gap; the time the room was down counts.
#include "temp_dir.hpp"

#include "app/room.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST_CASE("after a reboot the session resumes where the wall clock says: the downtime counts") {
    TempDir dir;
    fs::create_directories(dir.path / "lib/sessions");
    std::ofstream(dir.path / "lib/room.json") << R"({"room":"r"})";
    std::ofstream(dir.path / "lib/sessions/s.json")
        << R"({"name":"S","phases":[{"id":"a","duration":"20m"},{"id":"b","duration":"20m"}]})";
    Problems problems;
    const Library lib = load_library(dir.path / "lib", problems);
    REQUIRE_FALSE(problems.has_errors());

    ManualClock before_boot(MonoTime{Ms{3'600'000}}); // up for an hour
    std::int64_t wall_at_power_cut = 0;
    std::string id;
    {
        Room room(lib, dir.path / "state", before_boot);
        room.set_boot_id("boot-1");
        REQUIRE(room.start({"s", ""}).ok);
        id = room.state()["session"]["id"].get<std::string>();
        before_boot.advance_by(15min);
        room.tick();
        REQUIRE(room.state()["session"]["since_start"] == 900.0);
        wall_at_power_cut = before_boot.wall_unix_ms();
    } // the power goes

    // Down for 7 minutes; the new boot's monotonic clock starts near zero.
    ManualClock after_boot(MonoTime{Ms{20'000}});
    after_boot.jump_wall(Ms{wall_at_power_cut + 7 * 60'000 - after_boot.wall_unix_ms()});
    REQUIRE(after_boot.wall_unix_ms() == wall_at_power_cut + 420'000);
    Room again(lib, dir.path / "state", after_boot);
    again.set_boot_id("boot-2");
    const auto resumed = again.resume();
    REQUIRE(resumed);
    CHECK(*resumed == id);
    const Json s = again.state()["session"];
    CHECK(s["since_start"] == 1320.0); // 15 min before the cut + 7 min down
    CHECK(s["phase"]["id"] == "b");
    CHECK(s["phase"]["elapsed"] == 120.0);
    // And it runs on from there on the new boot's clock.
    after_boot.advance_by(1min);
    again.tick();
    CHECK(again.state()["session"]["since_start"] == 1380.0);
}
