// The journal: durable appends, torn last lines, restore by replay.
#include "fixtures.hpp"

#include "engine/journal.hpp"
#include "engine/restore.hpp"
#include "runtime/journal_writer.hpp"

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

fs::path temp_path(const std::string& name) {
    fs::path dir = fs::temp_directory_path() / ("stillroom-journal-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir / name;
}

void write_records(JournalWriter& w, const Effects& effects) {
    for (const auto& e : effects)
        if (auto* r = std::get_if<JournalRecord>(&e.body)) {
            std::string error;
            REQUIRE(w.append(r->record, &error));
        }
}

// The journal's data: its preallocated zero tail left out (runtime/journal_writer.hpp).
std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::string text{std::istreambuf_iterator<char>(in), {}};
    const auto end = text.find_last_not_of('\0');
    text.resize(end == std::string::npos ? 0 : end + 1);
    return text;
}

} // namespace

TEST_CASE("a journal restores the session it recorded") {
    const fs::path path = temp_path("restore.jsonl");
    fs::remove(path);
    Session live(setup_from(kThreeHourTemplate, three_hour_playlists()));
    {
        std::string error;
        auto w = JournalWriter::open(path, &error);
        REQUIRE(w);
        write_records(*w, live.start());
        write_records(*w, live.apply(cmd(CommandKind::Dose), Ms{600000}).effects);
        write_records(*w, live.advance_to(Ms{1200000}));
        write_records(*w, live.apply(cmd(CommandKind::Comfort), Ms{1300000}).effects);
    }
    const JournalContents contents = read_journal(path);
    CHECK_FALSE(contents.torn_tail);
    CHECK(contents.records.front()["type"] == "start");
    // No personal data: opaque id, times relative to start.
    CHECK(contents.records.front()["id"] == "s-test");
    for (const auto& r : contents.records)
        CHECK(r.contains("t"));
    Problems problems;
    auto restored = restore_session(contents, problems);
    REQUIRE(restored);
    CHECK_FALSE(restored->finished);
    const Ms later{1400000};
    CHECK(restored->session->desired_state(later) == live.desired_state(later));
}

TEST_CASE("a torn last line (power cut mid-write) is tolerated and reported") {
    const fs::path path = temp_path("torn.jsonl");
    fs::remove(path);
    Session live(setup_from(kThreeHourTemplate, three_hour_playlists()));
    {
        std::string error;
        auto w = JournalWriter::open(path, &error);
        REQUIRE(w);
        write_records(*w, live.start());
        write_records(*w, live.apply(cmd(CommandKind::Dose), Ms{600000}).effects);
    }
    const std::string good = read_all(path);
    { std::ofstream(path, std::ios::app) << R"({"type":"cmd","t":700000,"cmd":"ho)"; }

    const JournalContents torn = read_journal(path);
    CHECK(torn.torn_tail);
    Problems problems;
    auto restored = restore_session(torn, problems);
    REQUIRE(restored);
    CHECK(restored->torn_tail);
    CHECK_FALSE(restored->warnings.empty());
    CHECK(restored->session->desired_state(Ms{800000}) == live.desired_state(Ms{800000}));

    // Reopening for append cuts the torn tail so the next record starts on a clean line.
    std::string error;
    auto w = JournalWriter::open(path, &error);
    REQUIRE(w);
    CHECK(read_all(path) == good);
    REQUIRE(w->append({{"type", "event"}, {"t", 900000}, {"event", "resumed"}}, &error));
    const JournalContents again = read_journal(path);
    CHECK_FALSE(again.torn_tail);
    CHECK(again.records.back()["event"] == "resumed");
}

TEST_CASE("a garbled line in the middle is skipped and reported, not fatal") {
    const fs::path path = temp_path("garbled.jsonl");
    Session live(setup_from(kThreeHourTemplate, three_hour_playlists()));
    {
        fs::remove(path);
        std::string error;
        auto w = JournalWriter::open(path, &error);
        write_records(*w, live.start());
    }
    { std::ofstream(path, std::ios::app) << "not json at all\n"; }
    {
        std::string error;
        auto w = JournalWriter::open(path, &error);
        write_records(*w, live.apply(cmd(CommandKind::Dose), Ms{60000}).effects);
    }
    const JournalContents contents = read_journal(path);
    CHECK(contents.problems.size() == 1);
    Problems problems;
    auto restored = restore_session(contents, problems);
    REQUIRE(restored);
    CHECK(restored->session->dose_at() == Ms{60000});
}

TEST_CASE("a journal without a start record cannot be restored, with a reason") {
    JournalContents empty;
    Problems problems;
    CHECK_FALSE(restore_session(empty, problems).has_value());
    CHECK(problems.to_string().find("no start record") != std::string::npos);
}

TEST_CASE("find_unfinished_journal skips finished sessions") {
    const fs::path dir = temp_path("state");
    fs::remove_all(dir);
    std::string error;
    {
        Session done(setup_from(kThreeHourTemplate, three_hour_playlists()));
        auto w = JournalWriter::open(journal_path(dir, "s-done"), &error);
        write_records(*w, done.start());
        write_records(*w, done.apply(cmd(CommandKind::End), Ms{1000}).effects);
        write_records(*w, done.advance_to(Ms{3600000}));
    }
    CHECK_FALSE(find_unfinished_journal(dir).has_value()); // nothing recorded as running
    REQUIRE(write_current_session(dir, "s-done"));         // a crash before the record was cleared
    CHECK_FALSE(find_unfinished_journal(dir).has_value());
    {
        SessionSetup setup = setup_from(kThreeHourTemplate, three_hour_playlists());
        setup.id = "s-open";
        Session open(setup);
        auto w = JournalWriter::open(journal_path(dir, "s-open"), &error);
        write_records(*w, open.start());
    }
    REQUIRE(write_current_session(dir, "s-open"));
    auto found = find_unfinished_journal(dir);
    REQUIRE(found);
    CHECK(found->filename() == "s-open.jsonl");
}
