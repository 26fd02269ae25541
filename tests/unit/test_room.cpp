// The room runtime on a manual clock: the session runs on the monotonic clock, so a wall
// clock jump changes nothing, and a restart resumes the session exactly.
#include "temp_dir.hpp"

#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <type_traits>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

Library tiny_library(const fs::path& dir) {
    fs::create_directories(dir / "sessions");
    std::ofstream(dir / "room.json") << R"({"room":"r"})";
    std::ofstream(dir / "sessions/s.json")
        << R"({"name":"S","phases":[{"id":"a","duration":"20m"},{"id":"b","duration":"20m"}]})";
    Problems problems;
    return load_library(dir, problems);
}

} // namespace

TEST_CASE("a wall-clock jump does not move the session; a restart resumes it exactly") {
    TempDir dir;
    ManualClock clock;
    const Library lib = tiny_library(dir.path / "lib");
    std::string id;
    {
        Room room(lib, dir.path / "state", clock);
        REQUIRE(room.start({"s", ""}).ok);
        id = room.state()["session"]["id"].get<std::string>();
        clock.advance_by(std::chrono::minutes{10});
        clock.jump_wall(-std::chrono::hours{2}); // NTP steps the wall clock back two hours
        room.tick();
        const Json s = room.state()["session"];
        CHECK(s["since_start"] == 600.0);
        CHECK(s["phase"]["id"] == "a");
        clock.jump_wall(std::chrono::hours{5});
        clock.advance_by(std::chrono::minutes{15});
        room.tick();
        CHECK(room.state()["session"]["phase"]["id"] == "b");
        CHECK(room.state()["session"]["since_start"] == 1500.0);
    }                                          // the process "dies" here
    clock.advance_by(std::chrono::minutes{3}); // down for three minutes
    clock.jump_wall(-std::chrono::hours{1});
    Room again(lib, dir.path / "state", clock);
    auto resumed = again.resume();
    REQUIRE(resumed);
    CHECK(*resumed == id);
    const Json s = again.state()["session"];
    CHECK(s["since_start"] == 1680.0); // the down time counts, the wall jumps do not
    CHECK(s["phase"]["id"] == "b");
    CHECK(s["phase"]["elapsed"] == 480.0);
}

// Session time and device time are two types (engine/clock.hpp): mixing them does not compile.
template <class A, class B>
concept Subtractable = requires(A a, B b) {
    a - b;
};
template <class A, class B>
concept Comparable = requires(A a, B b) {
    a < b;
};
static_assert(Subtractable<MonoTime, MonoTime> && Subtractable<DeviceTime, DeviceTime>);
static_assert(!Subtractable<MonoTime, DeviceTime> && !Subtractable<DeviceTime, MonoTime>);
static_assert(!Comparable<MonoTime, DeviceTime>);
static_assert(!std::is_convertible_v<DeviceTime, MonoTime> &&
              !std::is_convertible_v<MonoTime, DeviceTime>);
static_assert(!std::is_base_of_v<Clock, SteadyDeviceClock> &&
              !std::is_base_of_v<DeviceClock, SteadyClock>);
