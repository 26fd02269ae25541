// Resuming after a reboot (a power cut): the monotonic clock restarted, so the boot id
// differs and the wall clock bridges the gap; the time the room was down counts.
#include "temp_dir.hpp"

#include "engine/journal_record.hpp"
#include "runtime/room.hpp"

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

namespace {

// Remembers what the room asked the lights to be on each reconcile.
struct RecordingDriver final : RoomDriver {
    std::vector<DesiredState> reconciled;
    std::string name() const override { return "recorder"; }
    void apply(const Effect&, MonoTime) override {}
    void reconcile(const DesiredState& state, MonoTime) override { reconciled.push_back(state); }
    Json health() const override { return {{"ok", true}, {"detail", ""}}; }
};

} // namespace

TEST_CASE(
    "a journal written before scene snapshots resumes with the library's scenes, and says so") {
    TempDir dir;
    fs::create_directories(dir.path / "lib/sessions");
    fs::create_directories(dir.path / "lib/scenes");
    std::ofstream(dir.path / "lib/room.json")
        << R"({"room":"r","lights":[{"id":"ceiling","dialect":"simulated"},{"id":"lamp","dialect":"simulated"}]})";
    std::ofstream(dir.path / "lib/scenes/warm.json")
        << R"({"lights":{"*":{"on":true,"brightness":0.4,"kelvin":2700}}})";
    std::ofstream(dir.path / "lib/sessions/s.json")
        << R"({"name":"S","phases":[{"id":"a","duration":"20m","scene":"warm","fade":"10s"}]})";
    Problems problems;
    const Library lib = load_library(dir.path / "lib", problems);
    INFO(problems.to_string());
    REQUIRE_FALSE(problems.has_errors());

    ManualClock clock(MonoTime{Ms{3'600'000}});
    std::string id;
    {
        Room room(lib, dir.path / "state", clock);
        room.set_boot_id("boot-1");
        REQUIRE(room.start({"s", ""}).ok);
        id = room.state()["session"]["id"].get<std::string>();
        clock.advance_by(2min);
        room.tick();
    } // killed
    // The journal as the version before the scene snapshot wrote it: the same start record
    // without "scenes" (journal format: docs/engine.md, "Journal and resume").
    const fs::path journal = journal_path(dir.path / "state", id);
    std::vector<Json> records;
    {
        std::ifstream in(journal);
        for (std::string line; std::getline(in, line);)
            if (!line.empty() && line[0] != '\0') { // not the preallocated zero tail
                const DecodedLine d = decode_journal_line(line);
                REQUIRE(d.kind == DecodedLine::Kind::Ok);
                records.push_back(d.record);
            }
    }
    REQUIRE_FALSE(records.empty());
    REQUIRE(records.front()["type"] == "start");
    REQUIRE(records.front().contains("scenes"));
    records.front().erase("scenes");
    {
        std::ofstream out(journal, std::ios::trunc);
        for (const auto& r : records)
            out << encode_journal_line(r) << "\n";
    }

    Room again(lib, dir.path / "state", clock);
    again.set_boot_id("boot-1");
    RecordingDriver lights;
    again.add_driver(&lights);
    REQUIRE(again.resume() == id);
    REQUIRE_FALSE(lights.reconciled.empty());
    const DesiredState& desired = lights.reconciled.back();
    REQUIRE_FALSE(desired.scene_fades.empty());
    const SceneLights& targets = desired.scene_fades.back().lights;
    REQUIRE(targets.count("ceiling") == 1);
    REQUIRE(targets.count("lamp") == 1);
    CHECK(targets.at("ceiling") == LightTarget{true, 0.4, 2700.0, std::nullopt});
    CHECK(targets.at("lamp") == LightTarget{true, 0.4, 2700.0, std::nullopt});
    const Json s = again.state()["session"];
    REQUIRE(s.contains("notes"));
    CHECK(s["notes"][0].get<std::string>().find("scene snapshot") != std::string::npos);
    // The journal records how this resume got its scenes.
    std::ifstream in(journal);
    bool noted = false;
    for (std::string line; std::getline(in, line);) {
        const Json r = decode_journal_line(line).record;
        noted = noted || (r.is_object() && r.value("event", "") == "resumed" &&
                          r.value("scenes", "") == "library");
    }
    CHECK(noted);
}
