// Issue 25: the session's state file (the anchor) is written off the command path. A tap is
// acknowledged once its journal record is on disk; the anchor's own fsync (783 ms measured
// under a flood) runs on the anchor writer's thread, with no lock a tap needs. The anchor
// still lands, with the seq it covers; the session's end removes it even while a write is
// under way; a failed write keeps the old one. The fsync is held at the system call
// (engine/file_ops.hpp) until the test lets it go: no timing in the assertions.
#include "fixtures.hpp"
#include "small_library.hpp"
#include "temp_dir.hpp"

#include "engine/file_ops.hpp"
#include "engine/journal.hpp"
#include "runtime/anchor_writer.hpp"
#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <unistd.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

// Holds every fsync of an anchor's temp file, once armed, until released (or 10 s pass: a
// room that waits for it on the command path then still ends the test, red). Can also make
// an anchor's write, fsync or rename fail. Other files are synced as usual.
struct AnchorDiskGate {
    std::mutex mutex;
    std::condition_variable changed;
    bool armed = false;
    bool released = false;
    int entered = 0; // anchor fsyncs held (once armed)
    int done = 0;    // held anchor fsyncs finished
    int renamed = 0; // anchors renamed into place
    enum class Fail { None, Write, Fsync, Rename } fail = Fail::None;
};
AnchorDiskGate anchor_gate;

bool is_anchor_tmp(int fd) {
    char link[512];
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    const auto n = ::readlink(proc.c_str(), link, sizeof link - 1);
    if (n <= 0) return false;
    const std::string path(link, static_cast<std::size_t>(n));
    return path.size() > 11 && path.compare(path.size() - 11, 11, ".anchor.tmp") == 0;
}

ssize_t gate_write(int fd, const void* data, std::size_t size) {
    if (is_anchor_tmp(fd)) {
        std::lock_guard lock(anchor_gate.mutex);
        if (anchor_gate.fail == AnchorDiskGate::Fail::Write) {
            errno = ENOSPC;
            return -1;
        }
    }
    return ::write(fd, data, size);
}

int gate_fsync(int fd) {
    if (!is_anchor_tmp(fd)) return ::fsync(fd);
    {
        std::unique_lock lock(anchor_gate.mutex);
        if (anchor_gate.fail == AnchorDiskGate::Fail::Fsync) {
            errno = EIO;
            return -1;
        }
        if (!anchor_gate.armed) return ::fsync(fd);
        ++anchor_gate.entered;
        anchor_gate.changed.notify_all();
        anchor_gate.changed.wait_for(lock, std::chrono::seconds{10},
                                     [] { return anchor_gate.released; });
    }
    const int r = ::fsync(fd);
    std::lock_guard lock(anchor_gate.mutex);
    ++anchor_gate.done;
    anchor_gate.changed.notify_all();
    return r;
}

int gate_rename(const char* from, const char* to) {
    {
        std::lock_guard lock(anchor_gate.mutex);
        if (anchor_gate.fail == AnchorDiskGate::Fail::Rename &&
            std::string(to).find(".anchor") != std::string::npos) {
            errno = EIO;
            return -1;
        }
    }
    const int r = std::rename(from, to);
    std::lock_guard lock(anchor_gate.mutex);
    if (r == 0 && std::string(to).find(".anchor") != std::string::npos) ++anchor_gate.renamed;
    return r;
}

// Installs the gate before any room or writer is made (they copy the table) and puts the real
// calls back after they are gone: declare it first.
struct AnchorGateInstalled {
    FileOps saved = file_ops();
    AnchorGateInstalled() {
        reset();
        file_ops().write = gate_write;
        file_ops().fsync = gate_fsync;
        file_ops().rename = gate_rename;
    }
    ~AnchorGateInstalled() {
        file_ops() = saved;
        reset();
    }
    static void reset() {
        std::lock_guard lock(anchor_gate.mutex);
        anchor_gate.armed = anchor_gate.released = false;
        anchor_gate.entered = anchor_gate.done = anchor_gate.renamed = 0;
        anchor_gate.fail = AnchorDiskGate::Fail::None;
    }
    void arm() {
        std::lock_guard lock(anchor_gate.mutex);
        anchor_gate.armed = true;
    }
    // Waits (at most 10 s) until an anchor's fsync is being held.
    bool wait_entered(int n = 1) {
        std::unique_lock lock(anchor_gate.mutex);
        return anchor_gate.changed.wait_for(lock, std::chrono::seconds{10},
                                            [n] { return anchor_gate.entered >= n; });
    }
    void release() {
        std::lock_guard lock(anchor_gate.mutex);
        anchor_gate.released = true;
        anchor_gate.changed.notify_all();
    }
    int done() {
        std::lock_guard lock(anchor_gate.mutex);
        return anchor_gate.done;
    }
    int renamed() {
        std::lock_guard lock(anchor_gate.mutex);
        return anchor_gate.renamed;
    }
};

Library anchor_test_library(const fs::path& dir) {
    return write_small_library(
        dir, R"({"name":"S","phases":[{"id":"settle","until":"dose","duration":"20m"},)"
             R"({"id":"peak","duration":"2h"}],"comfort":{"volume_offset_db":-6}})");
}

std::int64_t last_seq_on_disk(const fs::path& state, const std::string& id) {
    const JournalContents j = read_journal(journal_path(state, id));
    return j.records.empty() ? 0 : j.records.back().value("seq", std::int64_t{0});
}

// A room with the anchor's fsync gated, its session started.
struct StartedRoom {
    AnchorGateInstalled gate;
    TempDir dir;
    ManualClock clock;
    fs::path state = dir.path / "state";
    std::optional<Room> room{std::in_place, anchor_test_library(dir.path / "lib"), state, clock};
    std::string id = started_id(*room);
    static std::string started_id(Room& r) {
        REQUIRE(r.start({"s", ""}).ok);
        return r.state()["session"]["id"].get<std::string>();
    }
};

} // namespace

TEST_CASE("a tap is answered while the anchor's fsync is held; the anchor lands afterwards with "
          "the tap's seq") {
    StartedRoom rig;
    auto& [gate, dir, clock, state, room, id] = rig;
    REQUIRE(read_anchor(state, id).is_object()); // the start's anchor: on disk before it answers
    clock.advance_by(std::chrono::minutes{1});
    gate.arm();

    const CommandResult tap = room->command(cmd(CommandKind::Comfort));
    // Answered, and the anchor's fsync for it has not finished: it did not wait for it.
    CHECK(tap.ok);
    CHECK(gate.done() == 0);
    REQUIRE(gate.wait_entered()); // the writer's thread is in the fsync now
    // The room lock is free while the fsync is held: another tap and a read both answer.
    clock.advance_by(std::chrono::minutes{1});
    CHECK(room->command(cmd(CommandKind::Dose)).ok);
    CHECK(room->state()["session"]["comfort"] == true);
    CHECK(gate.done() == 0);
    const std::int64_t journal_seq = last_seq_on_disk(state, id);
    REQUIRE(journal_seq > 0);
    // The anchor on disk lags the journal meanwhile (a resume handles that).
    CHECK(read_anchor(state, id)["seq"].get<std::int64_t>() < journal_seq);

    gate.release();
    room.reset(); // the room goes: what the writer holds is written
    const Json anchor = read_anchor(state, id);
    REQUIRE(anchor.is_object());
    CHECK(anchor["seq"] == journal_seq);
    CHECK(anchor["record"]["comfort_since"] == 60'000);
    CHECK(anchor["record"]["dose_t"] == 120'000);
    CHECK_FALSE(fs::exists(anchor_path(state, id).string() + ".tmp"));

    // And a restart trusts it: the session resumes with its dose and Comfort.
    Room again(anchor_test_library(dir.path / "lib"), state, clock);
    REQUIRE(again.resume() == id);
    CHECK(again.state()["session"]["phase"]["id"] == "peak");
    CHECK(again.state()["session"]["comfort"] == true);
}

TEST_CASE("the session's end removes the anchor even while a write of it is under way") {
    StartedRoom rig;
    auto& [gate, dir, clock, state, room, id] = rig;
    clock.advance_by(std::chrono::minutes{1});
    gate.arm();
    REQUIRE(room->command(cmd(CommandKind::Comfort)).ok);
    REQUIRE(gate.wait_entered()); // a write of the anchor is under way, held in its fsync
    REQUIRE(room->command(cmd(CommandKind::End)).ok);
    clock.advance_by(std::chrono::minutes{5});
    room->tick();
    REQUIRE(room->state()["session"]["status"] == "finished");
    const int renamed_before = gate.renamed();
    gate.release(); // the held write renames its file into place now...
    room.reset();
    CHECK(gate.renamed() == renamed_before + 1); // (the snapshots behind it were dropped)
    // ...and the removal came after it.
    CHECK_FALSE(fs::exists(anchor_path(state, id)));
    CHECK_FALSE(fs::exists(anchor_path(state, id).string() + ".tmp"));
    CHECK_FALSE(find_unfinished_journal(state).has_value());
}

TEST_CASE("anchor writer: snapshots that wait are coalesced, the latest wins") {
    AnchorGateInstalled gate;
    TempDir dir;
    const fs::path path = dir.path / "s-1.anchor";
    AnchorWriter writer;
    gate.arm();
    writer.write(path, {{"seq", 1}});
    REQUIRE(gate.wait_entered()); // seq 1 is being written
    for (int seq = 2; seq <= 50; ++seq)
        writer.write(path, {{"seq", seq}});
    gate.release();
    writer.flush();
    CHECK(gate.renamed() == 2); // seq 1, then only the newest of the 49 that waited
    std::ifstream in(path);
    CHECK(Json::parse(in, nullptr, false)["seq"] == 50);
}

TEST_CASE("anchor writer: a failed write keeps the older anchor and leaves no temp file") {
    AnchorGateInstalled gate;
    TempDir dir;
    const fs::path path = dir.path / "s-1.anchor";
    AnchorWriter writer;
    writer.write(path, {{"seq", 1}});
    writer.flush();
    struct Case {
        const char* what;
        AnchorDiskGate::Fail fail;
    };
    const Case cases[] = {{"write (ENOSPC)", AnchorDiskGate::Fail::Write},
                          {"fsync (EIO)", AnchorDiskGate::Fail::Fsync},
                          {"rename (EIO)", AnchorDiskGate::Fail::Rename}};
    for (const auto& c : cases) {
        CAPTURE(c.what);
        {
            std::lock_guard lock(anchor_gate.mutex);
            anchor_gate.fail = c.fail;
        }
        writer.write(path, {{"seq", 2}});
        writer.flush();
        std::ifstream in(path);
        CHECK(Json::parse(in, nullptr, false)["seq"] == 1);
        CHECK_FALSE(fs::exists(path.string() + ".tmp"));
    }
    {
        std::lock_guard lock(anchor_gate.mutex);
        anchor_gate.fail = AnchorDiskGate::Fail::None;
    }
    writer.write(path, {{"seq", 3}}); // space came back
    writer.flush();
    std::ifstream in(path);
    CHECK(Json::parse(in, nullptr, false)["seq"] == 3);
}

TEST_CASE("anchor writer: a removal waits for the write before it, and what waits is written "
          "when the writer goes") {
    AnchorGateInstalled gate;
    TempDir dir;
    const fs::path ended = dir.path / "s-1.anchor";
    const fs::path next = dir.path / "s-2.anchor";
    {
        AnchorWriter writer;
        gate.arm();
        writer.write(ended, {{"seq", 7}});
        REQUIRE(gate.wait_entered());      // under way
        writer.write(ended, {{"seq", 8}}); // waits: dropped by the removal
        writer.remove(ended);
        writer.write(next, {{"seq", 1}}); // the next session's, behind the removal
        gate.release();
    } // gone without a flush
    CHECK_FALSE(fs::exists(ended));
    std::ifstream in(next);
    CHECK(Json::parse(in, nullptr, false)["seq"] == 1);
    CHECK(gate.renamed() == 2); // seq 7 of the ended one (then removed), seq 1 of the next
}
