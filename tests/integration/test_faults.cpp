// Faults with the real runtime: the journal's disk fills up mid-session; library files are
// changed to invalid content while the room runs.
#include "../unit/temp_dir.hpp"
#include "helpers.hpp"
#include "process.hpp"

#include "services.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <sys/resource.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

void make_fault_library(const fs::path& dir) {
    write_text(dir / "room.json",
               R"({"room":"faults","lights":[{"id":"lamp","dialect":"simulated"}]})");
    write_text(dir / "scenes/calm.json", R"({"lights":{"*":{"on":true,"brightness":0.2}}})");
    write_text(
        dir / "sessions/s.json",
        R"({"name":"S","phases":[{"id":"settle","until":"dose","duration":"10m","scene":"calm"},
        {"id":"peak","duration":"1h","scene":"calm"}]})");
}

Json journal_device(RoomServices& services) {
    const Json state = services.room().state(); // keep it alive through the loop
    for (const auto& d : state["devices"])
        if (d["id"] == "journal") return d;
    return {};
}

// A room running session "s" from make_fault_library, without the tablet API.
struct RunningRoom {
    TempDir dir;
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    std::unique_ptr<RoomServices> services;
    RunningRoom() {
        make_fault_library(dir.path / "lib");
        Problems problems;
        services = std::make_unique<RoomServices>(load_library(dir.path / "lib", problems),
                                                  test_room_options(dir.path / "state", "off"),
                                                  clock, device_clock);
        services->start();
        REQUIRE(services->room().start({"s", ""}).ok);
    }
};

} // namespace

TEST_CASE(
    "the journal's disk fills up: the session goes on, the fault shows, nothing written is lost") {
    RunningRoom running;
    TempDir& dir = running.dir;
    RoomServices& services = *running.services;
    const fs::path journal = *find_unfinished_journal(dir.path / "state");

    // The disk is full: no file of this process may grow (SIGXFSZ ignored: writes fail).
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    getrlimit(RLIMIT_FSIZE, &old);
    rlimit full = old;
    full.rlim_cur = fs::file_size(journal);
    REQUIRE(setrlimit(RLIMIT_FSIZE, &full) == 0);
    // Read once the limit holds: from here on the room cannot append (a record its thread
    // wrote just before would be in `before`, not a difference).
    const std::string before = read_text(journal);
    Command dose;
    dose.kind = CommandKind::Dose;
    CommandResult r = services.room().command(dose);
    Command comfort;
    comfort.kind = CommandKind::Comfort;
    CommandResult r2 = services.room().command(comfort);
    const Json device = journal_device(services);
    const Json session = services.room().state()["session"];
    // Read while the disk is still full: once the limit is lifted, the room's own thread may
    // write the held records at any moment (its next tick), so the file is only known to be
    // unchanged until then.
    const std::string while_full = read_text(journal);
    REQUIRE(setrlimit(RLIMIT_FSIZE, &old) == 0);
    std::signal(SIGXFSZ, SIG_DFL);

    CHECK(r.ok);
    CHECK(r2.ok);
    // The journal is preallocated ahead (docs/security.md): a disk on which no file may grow
    // still takes the session's records, so both were written, not held.
    CHECK(r.message.find("not yet on disk") == std::string::npos);
    CHECK(r2.message.find("not yet on disk") == std::string::npos);
    CHECK(session["phase"]["id"] == "peak"); // the session went on
    CHECK(session["comfort"] == true);
    CHECK(device["ok"] == true);
    CHECK(fs::file_size(journal) == full.rlim_cur); // the file did not grow
    CHECK(while_full.size() == before.size());
    CHECK(while_full != before); // the dose and comfort records went into the reserved space

    // Space again: the next record is written and the fault clears. The held records may
    // already have been written by the room's tick; either way they come first, in order.
    Command hold;
    hold.kind = CommandKind::Hold;
    CHECK(services.room().command(hold).ok);
    CHECK(journal_device(services)["ok"] == true);
    const JournalContents contents = read_journal(journal);
    CHECK_FALSE(contents.torn_tail);
    CHECK(contents.records.back()["cmd"] == "hold");
    // The held dose and comfort were written first, in order: nothing acted on was lost.
    std::vector<std::string> cmds;
    for (const auto& rec : contents.records)
        if (rec.contains("cmd")) cmds.push_back(rec["cmd"].get<std::string>());
    CHECK(cmds == std::vector<std::string>{"dose", "comfort", "hold"});
    services.stop();
}

TEST_CASE(
    "library files changed to invalid content while running: the old library stays in force") {
    RunningRoom running;
    TempDir& dir = running.dir;
    RoomServices& services = *running.services;
    LibraryWatcher& watcher = *services.watcher();

    write_text(dir.path / "lib/sessions/s.json",
               R"({"name":"S","phases":[{"id":"settle","duration":"soon"}]})");
    write_text(dir.path / "lib/sessions/t.json",
               R"({"name":"T","phases":[{"id":"a","duration":"5m"}]})");
    CHECK(watcher.poll());
    CHECK(watcher.health()["ok"] == false);
    CHECK(watcher.health()["detail"].get<std::string>().find(
              "sessions/s.json: phases[0].duration") != std::string::npos);
    const Json state = services.room().state();
    CHECK(state["session"]["status"] == "running"); // the session is untouched
    CHECK(state["templates"].size() == 1);          // the old library, in full
    CHECK(services.room().library().templates.count("s") == 1);
    // The state says so (issue 19): the last good library is in force, the errors listed;
    // a library fault is not a device fault.
    CHECK(state["library"]["in_force"] == "last-good");
    CHECK(state["library"]["problems"].dump().find("sessions/s.json") != std::string::npos);
    for (const auto& d : state["devices"])
        CHECK(d["id"] != "library");

    // Fixed on disk: the new library is taken, for the next session.
    write_text(dir.path / "lib/sessions/s.json",
               R"({"name":"S2","phases":[{"id":"settle","duration":"10m"}]})");
    CHECK(watcher.poll());
    CHECK(watcher.health()["ok"] == true);
    CHECK(services.room().state()["templates"].size() == 2);
    CHECK(services.room().state()["library"]["in_force"] == "disk");
    CHECK(services.room().state()["library"]["problems"] == Json::array());
    CHECK(services.room().state()["session"]["template_name"] ==
          "S"); // running session keeps its snapshot
    services.stop();
}
