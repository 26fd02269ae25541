// Issue 25 item 11: a full disk, then a crash. The journal holds its space ahead of its
// records (fallocate), so a disk that other files fill never stops it; readers and a reopen
// ignore the zero tail; and when even that space cannot be written, a command the record
// cannot keep is refused (503, with the reason) instead of acknowledged and lost, while
// Lights up and Volume − still act and say so. The disk is modelled at the system calls
// (engine/file_ops.hpp): when full, a write needing new blocks and fallocate fail with ENOSPC.
#include "small_library.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

#include "engine/file_ops.hpp"
#include "engine/journal.hpp"
#include "engine/journal_record.hpp"
#include "engine/restore.hpp"
#include "runtime/journal_writer.hpp"
#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

// The full disk: new blocks are refused; blocks a file already holds (its size, which
// fallocate mode 0 extends) can still be written. `nothing` refuses every write (the space
// is gone or the device fails).
struct FullDisk {
    bool full = false;
    bool nothing = false;
};
FullDisk full_disk;

ssize_t full_disk_write(int fd, const void* data, std::size_t size) {
    struct stat st {};
    const off_t at = ::lseek(fd, 0, SEEK_CUR);
    if (full_disk.nothing || (full_disk.full && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                              at + static_cast<off_t>(size) > st.st_size)) {
        errno = ENOSPC;
        return -1;
    }
    return ::write(fd, data, size);
}

int full_disk_fallocate(int fd, int mode, off_t offset, off_t length) {
    if (full_disk.full || full_disk.nothing) {
        errno = ENOSPC;
        return -1;
    }
    return ::fallocate(fd, mode, offset, length);
}

struct FullDiskSpies {
    FileOps saved = file_ops();
    FullDiskSpies() {
        file_ops().write = full_disk_write;
        file_ops().fallocate = full_disk_fallocate;
    }
    ~FullDiskSpies() {
        file_ops() = saved;
        full_disk = FullDisk{};
    }
};

Library small_library(const fs::path& dir) {
    return write_small_library(
        dir, R"({"name":"S","phases":[{"id":"a","until":"dose","duration":"10m"},)"
             R"({"id":"b","duration":"30m"},{"id":"c","until":"therapist","duration":"30m"}],)"
             R"("comfort":{"volume_offset_db":-6}})");
}

Command make(CommandKind kind) {
    Command c;
    c.kind = kind;
    return c;
}

Command volume_step(double db) {
    Command c = make(CommandKind::Volume);
    c.volume_how = VolumeHow::Step;
    c.db = db;
    return c;
}

std::vector<std::string> commands_in(const JournalContents& j) {
    std::vector<std::string> out;
    for (const auto& r : j.records)
        if (r.value("type", "") == "cmd") out.push_back(r.value("cmd", ""));
    return out;
}

} // namespace

TEST_CASE("the journal is preallocated ahead of its records; readers and a reopen ignore the zero "
          "tail") {
    TempDir dir;
    const fs::path path = dir.path / "sessions/s.jsonl";
    std::string error;
    std::size_t data = 0;
    {
        auto w = JournalWriter::open(path, &error);
        REQUIRE(w);
        for (int i = 0; i < 3; ++i) {
            REQUIRE(w->append({{"type", "event"}, {"t", i}}, &error));
            data += encode_journal_line({{"type", "event"}, {"t", i}}).size() + 1;
        }
        CHECK(w->data_end() == static_cast<off_t>(data));
        CHECK(w->reserved_ahead() >= kJournalGrowAt);
    } // a crash: the zero tail stays
    CHECK(fs::file_size(path) >= static_cast<std::uintmax_t>(kJournalPrealloc));
    JournalContents j = read_journal(path);
    CHECK(j.records.size() == 3);
    CHECK_FALSE(j.torn_tail);
    CHECK(j.problems.empty());

    SUBCASE("a reopen appends after the last record, not after the zero tail") {
        auto w = JournalWriter::open(path, &error);
        REQUIRE(w);
        CHECK(w->data_end() == static_cast<off_t>(data));
        REQUIRE(w->append({{"type", "event"}, {"t", 3}}, &error));
        j = read_journal(path);
        REQUIRE(j.records.size() == 4);
        CHECK(j.records[3]["t"] == 3);
        CHECK(j.problems.empty());
    }
    SUBCASE("a record torn inside the preallocated space is cut, and its bytes are zero again") {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        const std::string torn = R"({"type":"cmd","t":9,"cmd":"do)";
        REQUIRE(::pwrite(fd, torn.data(), torn.size(), static_cast<off_t>(data)) ==
                static_cast<ssize_t>(torn.size()));
        ::close(fd);
        CHECK(read_journal(path).torn_tail);
        auto w = JournalWriter::open(path, &error);
        REQUIRE(w);
        CHECK(w->data_end() == static_cast<off_t>(data));
        CHECK(read_bytes(path).substr(data, torn.size()) == std::string(torn.size(), '\0'));
        REQUIRE(w->append({{"type", "event"}, {"t", 4}}, &error));
        j = read_journal(path);
        REQUIRE(j.records.size() == 4);
        CHECK(j.records[3]["t"] == 4);
        CHECK_FALSE(j.torn_tail);
    }
    SUBCASE("when the session finishes the unused space goes back") {
        auto w = JournalWriter::open(path, &error);
        REQUIRE(w);
        w->release_preallocation();
        CHECK(fs::file_size(path) == data);
        CHECK(read_journal(path).records.size() == 3);
    }
}

TEST_CASE("a full disk never stops the journal: commands are kept in its preallocated space and "
          "survive a crash") {
    TempDir dir;
    ManualClock clock;
    const fs::path state = dir.path / "state";
    std::optional<Room> room(std::in_place, small_library(dir.path / "lib"), state, clock);
    REQUIRE(room->start({"s", ""}).ok);
    FullDiskSpies spies;
    full_disk.full = true; // another file filled the disk
    clock.advance_by(Ms{60'000});
    Command vitals = make(CommandKind::Vitals);
    vitals.vitals.systolic = 190;
    vitals.vitals.diastolic = 100;
    for (const Command& c : {make(CommandKind::Dose), vitals, volume_step(+3), volume_step(+3)}) {
        clock.advance_by(Ms{30'000});
        const CommandResult r = room->command(c);
        CAPTURE(r.message);
        CHECK(r.ok);
        CHECK(r.message.find("not yet on disk") == std::string::npos); // acknowledged = kept
    }
    const double trim = room->state()["session"]["volume"]["trim_db"].get<double>();
    // kill -9 now: the journal on disk has every acknowledged command.
    const auto journal = find_unfinished_journal(state);
    REQUIRE(journal);
    CHECK(commands_in(read_journal(*journal)) ==
          std::vector<std::string>{"dose", "vitals", "volume", "volume"});
    room.reset();
    full_disk.full = false;
    Room again(small_library(dir.path / "lib"), state, clock);
    REQUIRE(again.resume());
    const Json s = again.state()["session"];
    CHECK(s["since_dose"].is_number());
    CHECK(s["volume"]["trim_db"].get<double>() == doctest::Approx(trim));
    CHECK(s["vitals"].size() == 1);
}

TEST_CASE("when even the journal's own space fails: a command the record cannot keep is refused "
          "with the reason; Lights up and Volume − act and say so") {
    TempDir dir;
    ManualClock clock;
    Room room(small_library(dir.path / "lib"), dir.path / "state", clock);
    REQUIRE(room.start({"s", ""}).ok);
    FullDiskSpies spies;
    full_disk.nothing = true;
    clock.advance_by(Ms{60'000});

    struct Case {
        const char* what;
        Command cmd;
        bool acts;
    };
    Command lights_up = make(CommandKind::LightsUp);
    const Case cases[] = {{"dose", make(CommandKind::Dose), false},
                          {"comfort", make(CommandKind::Comfort), false},
                          {"volume +", volume_step(+3), false},
                          {"hold", make(CommandKind::Hold), false},
                          {"volume -", volume_step(-3), true},
                          {"lights up", lights_up, true},
                          {"dose again", make(CommandKind::Dose), false}};
    for (const auto& c : cases) {
        CAPTURE(c.what);
        const Json before = room.state()["session"];
        clock.advance_by(Ms{5'000});
        const CommandResult r = room.command(c.cmd);
        CAPTURE(r.message);
        if (c.acts) {
            CHECK(r.ok);
            CHECK(r.message.find("not yet on disk") != std::string::npos);
        } else {
            CHECK_FALSE(r.ok);
            CHECK(r.status == 503);
            CHECK(r.message.find("journal cannot be written") != std::string::npos);
            CHECK(r.message.find("Lights up and Volume − still act") != std::string::npos);
            const Json after = room.state()["session"];
            CHECK(after["since_dose"] == before["since_dose"]); // nothing changed
            CHECK(after["comfort"] == before["comfort"]);
            CHECK(after["held"] == before["held"]);
            CHECK(after["volume"]["trim_db"] == before["volume"]["trim_db"]);
        }
    }
    const Json s = room.state()["session"];
    CHECK(s["lights_up"] == true);
    CHECK(s["volume"]["trim_db"].get<double>() == doctest::Approx(-3));
    // Space returns: the held records are written, then the dose is accepted and kept.
    full_disk.nothing = false;
    clock.advance_by(Ms{1'000});
    room.tick();
    const CommandResult dose = room.command(make(CommandKind::Dose));
    CHECK(dose.ok);
    CHECK(dose.message.empty());
    const auto journal = find_unfinished_journal(dir.path / "state");
    REQUIRE(journal);
    CHECK(commands_in(read_journal(*journal)) ==
          std::vector<std::string>{"volume", "lights-up", "dose"});
}
