// Issue 25 items 12-14: what a resume trusts. Records carry `seq` and the state file (the
// anchor) the last one written, with the dose, trim and overlays: a journal cut at a record
// boundary or a damaged dose record costs nothing the state file knows, is shown on the
// tablet and flagged in the report; and the session to resume is the one the state dir
// records as running, whatever the files' modification times say.
#include "fixtures.hpp"
#include "small_library.hpp"
#include "temp_dir.hpp"

#include "engine/journal.hpp"
#include "engine/journal_gaps.hpp"
#include "record/report.hpp"
#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

const char* kTemplate = R"({"name":"S","phases":[{"id":"settle","until":"dose","duration":"20m"},)"
                        R"({"id":"peak","duration":"2h"}],"comfort":{"volume_offset_db":-6}})";

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    std::string text = s.str();
    const auto last = text.find_last_not_of('\0'); // the journal's preallocated tail
    text.resize(last == std::string::npos ? 0 : last + 1);
    return text;
}

void write_all(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

Command volume_step(double db) {
    Command c = cmd(CommandKind::Volume);
    c.volume_how = VolumeHow::Step;
    c.db = db;
    return c;
}

// A session with a dose, a louder trim, Comfort on and a flagged reading. Returns its id.
std::string run_session(const Library& lib, const fs::path& state, ManualClock& clock) {
    Room room(lib, state, clock);
    REQUIRE(room.start({"s", ""}).ok);
    clock.advance_by(std::chrono::minutes{5});
    REQUIRE(room.command(cmd(CommandKind::Dose)).ok);
    clock.advance_by(std::chrono::minutes{1});
    REQUIRE(room.command(volume_step(3)).ok);
    clock.advance_by(std::chrono::minutes{1});
    REQUIRE(room.command(cmd(CommandKind::Comfort)).ok);
    clock.advance_by(std::chrono::minutes{1});
    Command vitals = cmd(CommandKind::Vitals);
    vitals.vitals.systolic = 190;
    vitals.vitals.diastolic = 100;
    REQUIRE(room.command(vitals).ok);
    return room.state()["session"]["id"].get<std::string>();
} // power cut

} // namespace

TEST_CASE("every journal record carries seq 1, 2, 3, ... and the state file the last written") {
    TempDir dir;
    ManualClock clock;
    const Library lib = write_small_library(dir.path / "lib", kTemplate);
    const std::string id = run_session(lib, dir.path / "state", clock);
    const JournalContents j = read_journal(journal_path(dir.path / "state", id));
    REQUIRE(j.records.size() > 4);
    for (std::size_t i = 0; i < j.records.size(); ++i) {
        CAPTURE(i);
        CHECK(j.records[i].value("seq", std::int64_t{0}) == static_cast<std::int64_t>(i + 1));
    }
    std::ifstream in(dir.path / "state/sessions" / (id + ".anchor"));
    const Json anchor = Json::parse(in, nullptr, false);
    REQUIRE(anchor.is_object());
    CHECK(anchor["seq"] == static_cast<std::int64_t>(j.records.size()));
    CHECK(anchor["record"]["dose_t"] == 5 * 60'000);
    CHECK(anchor["record"]["trim_db"].get<double>() == doctest::Approx(3));
    CHECK(anchor["record"]["comfort_since"] == 7 * 60'000);
}

TEST_CASE("a journal cut at a record boundary: the gap is found, shown on the tablet, flagged in "
          "the report, and the session keeps what the state file knows") {
    TempDir dir;
    ManualClock clock;
    const fs::path state = dir.path / "state";
    const Library lib = write_small_library(dir.path / "lib", kTemplate);
    const std::string id = run_session(lib, state, clock);
    const fs::path journal = journal_path(state, id);
    // Cut just before the dose: every later line goes, each cut exactly at a newline.
    const auto lines = lines_of(read_all(journal));
    std::string kept;
    for (const auto& l : lines) {
        if (l.find("\"cmd\":\"dose\"") != std::string::npos) break;
        kept += l + "\n";
    }
    REQUIRE(kept.size() < read_all(journal).size());
    write_all(journal, kept);
    REQUIRE(read_journal(journal).problems.empty()); // nothing on the page says so: only seq

    clock.advance_by(std::chrono::minutes{1});
    {
        Room room(lib, state, clock);
        REQUIRE(room.resume() == id);
        const Json s = room.state()["session"];
        CAPTURE(s.dump());
        CHECK(s["phase"]["id"] == "peak");                                 // the dose: kept
        CHECK(s["since_dose"].get<double>() == doctest::Approx(4 * 60.0)); // at its time
        CHECK(s["volume"]["trim_db"].get<double>() == doctest::Approx(3)); // the trim
        CHECK(s["comfort"] == true);                                       // Comfort
        const std::string damage = s["journal_damage"].get<std::string>();
        CHECK(damage.find("missing") != std::string::npos);
        CHECK(damage.find("cut") != std::string::npos);
        CHECK(damage.find("dose") != std::string::npos);
        bool journal_ok = true;
        const Json now = room.state(); // alive through the loop
        for (const auto& d : now["devices"])
            if (d["id"] == "journal") journal_ok = d["ok"].get<bool>();
        CHECK_FALSE(journal_ok); // the tablet lists the journal with the faults
    } // and another power cut: the repair is in the journal now, not done twice
    const JournalContents j = read_journal(journal);
    const Json report = build_report(j);
    CAPTURE(report["flags"].dump());
    bool flagged = false;
    for (const auto& f : report["flags"])
        flagged = flagged || f == "journal_gap";
    CHECK(flagged);
    CHECK(report["dose"]["dose_s"].get<double>() == doctest::Approx(5 * 60.0));
    int gap_events = 0;
    for (const auto& r : j.records)
        gap_events += resume_gap(r) != nullptr;
    CHECK(gap_events == 1);
    Room again(lib, state, clock);
    REQUIRE(again.resume() == id);
    const Json s = again.state()["session"];
    CHECK(s["phase"]["id"] == "peak");
    CHECK(s["volume"]["trim_db"].get<double>() == doctest::Approx(3));
    CHECK(s["comfort"] == true);
    CHECK(s["journal_damage"].is_string());
    gap_events = 0;
    for (const auto& r : read_journal(journal).records)
        gap_events += resume_gap(r) != nullptr;
    CHECK(gap_events == 1);
}

TEST_CASE("a flipped byte in the dose record never sends the resumed session back to Settle") {
    TempDir dir;
    ManualClock clock;
    const fs::path state = dir.path / "state";
    const Library lib = write_small_library(dir.path / "lib", kTemplate);
    const std::string id = run_session(lib, state, clock);
    const fs::path journal = journal_path(state, id);
    for (int bit = 0; bit < 8; ++bit) { // each bit of one byte of the record
        CAPTURE(bit);
        std::string text = read_all(journal);
        const auto at = text.find("\"cmd\":\"dose\"");
        REQUIRE(at != std::string::npos);
        std::string damaged = text;
        damaged[at + 8] = static_cast<char>(damaged[at + 8] ^ (1 << bit));
        if (damaged[at + 8] == '\n' || damaged[at + 8] == '\0') continue; // not one record
        write_all(journal, damaged);
        Room room(lib, state, clock);
        REQUIRE(room.resume() == id);
        const Json s = room.state()["session"];
        CAPTURE(s.dump());
        CHECK(s["phase"]["id"] == "peak");
        CHECK(s["since_dose"].is_number());
        CHECK(s["journal_damage"].get<std::string>().find("dose") != std::string::npos);
        write_all(journal, text); // the next bit on the undamaged journal
    }
}

TEST_CASE("the session to resume is the one the state dir records, whatever the file times") {
    TempDir dir;
    ManualClock clock;
    const fs::path state = dir.path / "state";
    const Library lib = write_small_library(dir.path / "lib", kTemplate);
    // An earlier session that finished.
    std::string finished;
    {
        Room room(lib, state, clock);
        REQUIRE(room.start({"s", ""}).ok);
        finished = room.state()["session"]["id"].get<std::string>();
        REQUIRE(room.command(cmd(CommandKind::End)).ok);
        clock.advance_by(std::chrono::minutes{5});
        room.tick();
        REQUIRE(room.state()["session"]["status"] == "finished");
    }
    CHECK_FALSE(fs::exists(current_session_path(state)));
    const std::string live = run_session(lib, state, clock);
    // The clock came back behind: the live journal looks a day old, the finished one new.
    const auto now = fs::file_time_type::clock::now();
    fs::last_write_time(journal_path(state, live), now - std::chrono::hours(24));
    fs::last_write_time(journal_path(state, finished), now + std::chrono::hours(1));
    Room room(lib, state, clock);
    CHECK(room.resume() == live);
    CHECK(room.state()["session"]["phase"]["id"] == "peak");

    SUBCASE("the record names a finished session: nothing resumes") {
        REQUIRE(write_current_session(state, finished));
        Room other(lib, state, clock);
        CHECK_FALSE(other.resume().has_value());
    }
    SUBCASE("the record names a journal that is gone: nothing resumes, and the tablet says why") {
        REQUIRE(write_current_session(state, "s-000000000000"));
        Room other(lib, state, clock);
        CHECK_FALSE(other.resume().has_value());
        bool said = false;
        const Json room_state = other.state(); // alive through the loop
        for (const auto& d : room_state["devices"])
            if (d["id"] == "journal")
                said = d["detail"].get<std::string>().find("missing") != std::string::npos;
        CHECK(said);
    }
}
