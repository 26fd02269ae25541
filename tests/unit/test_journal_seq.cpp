// Journal record numbers (`seq`): the Room numbers every record of a session as it queues it,
// 1 for the start record and consecutive after; a command's result carries its record's seq;
// a resumed session goes on after the highest number in its journal.
#include "small_library.hpp"
#include "temp_dir.hpp"

#include "engine/journal_record.hpp"
#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

Command seq_cmd(CommandKind kind) {
    Command c;
    c.kind = kind;
    return c;
}

constexpr const char* kTemplate =
    R"({"name":"S","phases":[{"id":"a","until":"dose","duration":"10m"},
    {"id":"b","duration":"20m"},{"id":"c","duration":"20m"}],
    "cues":[{"at":"dose+5m","remind":"Check blood pressure","vitals":true}]})";

std::vector<Json> journal_records(const fs::path& state_dir, const std::string& id) {
    return read_journal(journal_path(state_dir, id)).records;
}

// The record with this seq (exactly one), or null.
Json record_with_seq(const std::vector<Json>& records, std::int64_t seq) {
    Json found = nullptr;
    int count = 0;
    for (const auto& r : records)
        if (r.value("seq", std::int64_t{-1}) == seq) {
            found = r;
            ++count;
        }
    return count == 1 ? found : Json(nullptr);
}

void check_consecutive(const std::vector<Json>& records) {
    for (std::size_t i = 0; i < records.size(); ++i) {
        CAPTURE(i);
        CAPTURE(dump_json(records[i]));
        REQUIRE(records[i].contains("seq"));
        CHECK(records[i]["seq"] == static_cast<std::int64_t>(i + 1));
    }
}

} // namespace

TEST_CASE("every journal record has a seq: 1 for the start, consecutive; a command answers its "
          "record's seq") {
    TempDir dir;
    const Library lib = write_small_library(dir.path / "lib", kTemplate);
    ManualClock clock;
    Room room(lib, dir.path / "state", clock);
    const CommandResult started = room.start({"s", ""});
    REQUIRE(started.ok);
    const std::string id = room.state()["session"]["id"].get<std::string>();

    struct Step {
        const char* name;
        Command cmd;
        bool accepted;
        const char* type; // of the record the command made
    };
    Command dose = seq_cmd(CommandKind::Dose);
    Command vitals = seq_cmd(CommandKind::Vitals);
    vitals.vitals.systolic = 120;
    vitals.vitals.diastolic = 80;
    const std::vector<Step> steps = {
        {"dose", dose, true, "cmd"},
        {"dose again (refused)", dose, false, "refused"},
        {"vitals", vitals, true, "cmd"},
        {"hold", seq_cmd(CommandKind::Hold), true, "cmd"},
        {"resume", seq_cmd(CommandKind::Resume), true, "cmd"},
    };
    std::int64_t last = 0;
    for (const auto& step : steps) {
        CAPTURE(step.name);
        clock.advance_by(4min); // the reminder at dose+5m fires between two commands
        const CommandResult r = room.command(step.cmd);
        CHECK(r.ok == step.accepted);
        CHECK(r.seq > last);
        last = r.seq;
        const Json rec = record_with_seq(journal_records(dir.path / "state", id), r.seq);
        REQUIRE(rec.is_object());
        CHECK(rec["type"] == step.type);
        CHECK(rec["cmd"] == command_name(step.cmd.kind));
    }
    const auto records = journal_records(dir.path / "state", id);
    REQUIRE(records.size() > steps.size());
    CHECK(records.front()["type"] == "start");
    check_consecutive(records);

    SUBCASE("no session: no record, seq 0") {
        ManualClock other;
        Room idle(lib, dir.path / "idle", other);
        const CommandResult r = idle.command(seq_cmd(CommandKind::Hold));
        CHECK_FALSE(r.ok);
        CHECK(r.seq == 0);
    }
}

TEST_CASE("a resumed session numbers its records on after the highest seq in its journal") {
    TempDir dir;
    const Library lib = write_small_library(dir.path / "lib", kTemplate);
    const fs::path state = dir.path / "state";
    std::string id;
    std::int64_t before = 0;
    {
        ManualClock clock;
        Room room(lib, state, clock);
        room.set_boot_id("boot-1");
        REQUIRE(room.start({"s", ""}).ok);
        id = room.state()["session"]["id"].get<std::string>();
        clock.advance_by(1min);
        REQUIRE(room.command(seq_cmd(CommandKind::Dose)).seq > 1);
    } // killed
    before = journal_records(state, id).back()["seq"].get<std::int64_t>();

    SUBCASE("a journal with seq") {}
    SUBCASE("a journal written before seq: numbering goes on after its records") {
        // Rewrite the journal without seq (as an older Stillroom wrote it).
        const auto records = journal_records(state, id);
        std::ofstream out(journal_path(state, id), std::ios::trunc);
        for (auto r : records) {
            r.erase("seq");
            out << encode_journal_line(r) << "\n";
        }
    }
    SUBCASE("a gap (a record lost): numbering goes on after the highest, never reuses one") {
        auto records = journal_records(state, id);
        records.back()["seq"] = before + 40;
        std::ofstream out(journal_path(state, id), std::ios::trunc);
        for (const auto& r : records)
            out << encode_journal_line(r) << "\n";
        before += 40;
    }

    ManualClock clock;
    Room again(lib, state, clock);
    again.set_boot_id("boot-1");
    REQUIRE(again.resume() == id);
    const auto after_resume = journal_records(state, id);
    REQUIRE(after_resume.back().value("event", "") == "resumed");
    CHECK(after_resume.back()["seq"] == before + 1);
    const CommandResult hold = again.command(seq_cmd(CommandKind::Hold));
    REQUIRE(hold.ok);
    CHECK(hold.seq == before + 2);
    const Json rec = record_with_seq(journal_records(state, id), hold.seq);
    REQUIRE(rec.is_object());
    CHECK(rec["cmd"] == "hold");
}
