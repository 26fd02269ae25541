// Durability promises, observed at the system calls (engine/file_ops.hpp): every journal
// record is fdatasync'ed before append() returns and before its effects reach a driver;
// a library save is temp file + fsync + rename, so a reader never sees a partial file and
// a failed write (a full disk) leaves the old file as it was.
#include "small_library.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

#include "engine/file_ops.hpp"
#include "engine/journal.hpp"
#include "library/library_files.hpp"
#include "runtime/journal_writer.hpp"
#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <functional>
#include <sstream>
#include <sys/stat.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

// What the spies saw. Plain globals: the seam holds plain function pointers.
struct Seen {
    std::vector<std::string> calls;    // "write", "fdatasync", "fsync", "rename"
    std::vector<off_t> size_at_sync;   // the file's size when it was synced
    std::vector<ino_t> synced_inodes;  // which file each fsync reached
    std::vector<ino_t> renamed_inodes; // which file each rename moved
    int fail_sync_errno = 0;           // make fdatasync/fsync fail with this
    std::size_t max_chunk = 0;         // write at most this much per call (0: all)
    int fail_write_after = -1;         // fail (ENOSPC) on this write call (0-based)
    int writes = 0;
    std::function<void()> after_write; // e.g. a reader looking at the target mid-write
};
Seen seen;

ssize_t spy_write(int fd, const void* data, std::size_t size) {
    seen.calls.push_back("write");
    if (seen.fail_write_after >= 0 && seen.writes++ >= seen.fail_write_after) {
        errno = ENOSPC;
        return -1;
    }
    const std::size_t n = seen.max_chunk ? std::min(size, seen.max_chunk) : size;
    const ssize_t r = ::write(fd, data, n);
    if (seen.after_write) seen.after_write();
    return r;
}

int spy_sync(int fd, const char* name, int (*real)(int)) {
    seen.calls.push_back(name);
    struct stat st {};
    ::fstat(fd, &st);
    seen.size_at_sync.push_back(st.st_size);
    seen.synced_inodes.push_back(st.st_ino);
    if (seen.fail_sync_errno) {
        errno = seen.fail_sync_errno;
        return -1;
    }
    return real(fd);
}
int spy_fdatasync(int fd) {
    return spy_sync(fd, "fdatasync", ::fdatasync);
}
int spy_fsync(int fd) {
    return spy_sync(fd, "fsync", ::fsync);
}

int spy_rename(const char* from, const char* to) {
    seen.calls.push_back("rename");
    struct stat st {};
    if (::stat(from, &st) == 0) seen.renamed_inodes.push_back(st.st_ino);
    return std::rename(from, to);
}

// Installs the spies for one test and puts the real calls back afterwards.
struct Spies {
    FileOps saved = file_ops();
    Spies() {
        seen = Seen{};
        file_ops() = {spy_write, spy_fdatasync, spy_fsync, spy_rename};
    }
    ~Spies() {
        file_ops() = saved;
        seen = Seen{};
    }
};

int count(const std::vector<std::string>& calls, const std::string& what) {
    return static_cast<int>(std::count(calls.begin(), calls.end(), what));
}

// Records, for every effect a driver is given, how many syncs had happened and how many
// journal records were on disk.
struct WitnessDriver final : RoomDriver {
    fs::path journal;
    struct Witnessed {
        int syncs;
        std::size_t records_on_disk;
    };
    std::vector<Witnessed> applied;
    std::string name() const override { return "witness"; }
    void apply(const Effect&, MonoTime) override {
        applied.push_back({count(seen.calls, "fdatasync"),
                           journal.empty() ? 0 : read_journal(journal).records.size()});
    }
    void reconcile(const DesiredState&, MonoTime) override {}
    Json health() const override { return {{"ok", true}}; }
};

} // namespace

TEST_CASE("every journal record is fdatasync'ed, whole, before append() returns") {
    TempDir dir;
    Spies spies;
    std::string error;
    auto writer = JournalWriter::open(dir.path / "s.jsonl", &error);
    REQUIRE(writer);
    for (int i = 0; i < 3; ++i) {
        CAPTURE(i);
        REQUIRE(writer->append({{"type", "event"}, {"t", i}}, &error));
        REQUIRE(count(seen.calls, "fdatasync") == i + 1);
        CHECK(seen.calls.back() == "fdatasync"); // nothing written after the sync
        CHECK(seen.size_at_sync.back() == static_cast<off_t>(fs::file_size(dir.path / "s.jsonl")));
    }
    CHECK(read_journal(dir.path / "s.jsonl").records.size() == 3);
}

TEST_CASE("a failed fdatasync is an error the room hears of, not a silent success") {
    TempDir dir;
    Spies spies;
    std::string error;
    auto writer = JournalWriter::open(dir.path / "s.jsonl", &error);
    REQUIRE(writer);
    seen.fail_sync_errno = EIO;
    CHECK_FALSE(writer->append({{"type", "event"}, {"t", 0}}, &error));
    CHECK(error.find("fdatasync") != std::string::npos);
}

TEST_CASE("the room's effects reach the drivers only after their journal record is on disk") {
    TempDir dir;
    ManualClock clock;
    Room room(
        write_small_library(
            dir.path / "lib",
            R"({"name":"S","phases":[{"id":"a","until":"dose","duration":"20m"},{"id":"b","duration":"20m"}]})"),
        dir.path / "state", clock);
    WitnessDriver witness;
    room.add_driver(&witness);
    Spies spies;
    REQUIRE(room.start({"s", ""}).ok);
    const auto journal = find_unfinished_journal(dir.path / "state");
    REQUIRE(journal);
    witness.journal = *journal;
    REQUIRE_FALSE(witness.applied.empty());
    CHECK(witness.applied.front().syncs >= 1); // the start record was synced first
    witness.applied.clear();
    const int syncs_before = count(seen.calls, "fdatasync");
    const std::size_t records_before = read_journal(*journal).records.size();
    clock.advance_by(std::chrono::minutes{1});
    Command dose;
    dose.kind = CommandKind::Dose;
    REQUIRE(room.command(dose).ok);
    REQUIRE_FALSE(witness.applied.empty()); // the dose moves to phase b: effects reach the driver
    CHECK(witness.applied.front().syncs > syncs_before);
    CHECK(witness.applied.front().records_on_disk > records_before);
}

TEST_CASE("a library save is temp file, fsync, rename: a reader never sees a partial file") {
    TempDir dir;
    const fs::path target = dir.path / "p.json";
    const std::string before(5000, 'a');
    const std::string after(9000, 'b');
    std::ofstream(target) << before;
    Spies spies;
    seen.max_chunk = 1000; // slow, short writes: a reader may look between any two
    std::vector<std::string> glimpses;
    seen.after_write = [&] { glimpses.push_back(read_bytes(target)); };
    std::string error;
    REQUIRE(write_file_atomically(target, after, &error));
    REQUIRE(glimpses.size() >= 9);
    for (const auto& g : glimpses)
        CHECK(g == before); // the old file, whole, until the rename
    CHECK(read_bytes(target) == after);
    // The file that was renamed into place had been fsync'ed before the rename.
    REQUIRE(seen.renamed_inodes.size() == 1);
    const auto rename_at = std::find(seen.calls.begin(), seen.calls.end(), "rename");
    const auto fsync_at = std::find(seen.calls.begin(), seen.calls.end(), "fsync");
    REQUIRE(fsync_at != seen.calls.end());
    CHECK(fsync_at < rename_at);
    CHECK(seen.synced_inodes.front() == seen.renamed_inodes.front());
    CHECK(seen.size_at_sync.front() == static_cast<off_t>(after.size()));
    CHECK_FALSE(fs::exists(target.string() + ".tmp"));
}

TEST_CASE("a library save that fails mid-write (disk full) leaves the old file and no temp file") {
    TempDir dir;
    const fs::path target = dir.path / "p.json";
    std::ofstream(target) << "old";
    Spies spies;
    SUBCASE("the write fails") {
        seen.max_chunk = 4;
        seen.fail_write_after = 1;
    }
    SUBCASE("the fsync fails") {
        seen.fail_sync_errno = EIO;
    }
    std::string error;
    CHECK_FALSE(write_file_atomically(target, std::string(100, 'x'), &error));
    CHECK_FALSE(error.empty());
    CHECK(read_bytes(target) == "old");
    CHECK(count(seen.calls, "rename") == 0);
    CHECK_FALSE(fs::exists(target.string() + ".tmp"));
}

TEST_CASE("a save over the API goes through the atomic write") {
    TempDir dir;
    fs::create_directories(dir.path / "scenes");
    std::ofstream(dir.path / "room.json") << R"({"room":"r"})";
    const fs::path target = dir.path / "scenes/calm.json";
    std::ofstream(target) << R"({"name":"Calm","lights":{}})"
                          << "\n";
    const std::string before = read_bytes(target);
    LibraryFiles files(dir.path, nullptr);
    Spies spies;
    seen.max_chunk = 8;
    std::vector<std::string> glimpses;
    seen.after_write = [&] { glimpses.push_back(read_bytes(target)); };
    const auto r =
        files.put(FileKind::Scene, "calm", R"({"name":"Calmer","fade":"10s","lights":{}})");
    REQUIRE(r.status == 200);
    REQUIRE(glimpses.size() >= 2);
    for (const auto& g : glimpses)
        CHECK(g == before);
    CHECK(read_bytes(target).find("Calmer") != std::string::npos);
    CHECK(count(seen.calls, "fsync") >= 1);
    CHECK(count(seen.calls, "rename") == 1);
}
