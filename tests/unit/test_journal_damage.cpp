// Journal damage as a property: one flipped bit anywhere in a session's journal is either
// harmless or reported as damage; it never reads as a different valid record, and a
// damaged start record never resumes an older session; a resumed room shows the damage.
#include "fixtures.hpp"
#include "small_library.hpp"
#include "temp_dir.hpp"

#include "engine/journal.hpp"
#include "engine/journal_record.hpp"
#include "runtime/journal_writer.hpp"
#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <random>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

void write_records(JournalWriter& w, const Effects& effects) {
    for (const auto& e : effects)
        if (auto* r = std::get_if<JournalRecord>(&e.body)) {
            std::string error;
            REQUIRE(w.append(r->record, &error));
        }
}

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_all(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

} // namespace

TEST_CASE("journal lines: CRC-32 as zlib computes it; a line round-trips") {
    // The check value of CRC-32/ISO-HDLC (zlib's crc32) for "123456789" is 0xCBF43926
    // (the catalogue of parametrised CRC algorithms, reveng.sourceforge.io/crc-catalogue).
    CHECK(crc32_ieee("123456789") == 0xCBF43926u);
    const Json rec = {{"type", "cmd"}, {"t", 1000}, {"cmd", "dose"}};
    const std::string line = encode_journal_line(rec);
    const DecodedLine d = decode_journal_line(line);
    CHECK(d.kind == DecodedLine::Kind::Ok);
    CHECK(d.record == rec);
    CHECK(decode_journal_line(encode_journal_line(Json::object())).kind == DecodedLine::Kind::Ok);
    CHECK(decode_journal_line(R"({"type":"cmd"})").kind == DecodedLine::Kind::Legacy);
}

TEST_CASE("journal bit flips: never a different record, always reported (seeded property test)") {
    TempDir dir;
    const fs::path path = dir.path / "s.jsonl";
    Session live(setup_from(kThreeHourTemplate, three_hour_playlists()));
    {
        std::string error;
        auto w = JournalWriter::open(path, &error);
        REQUIRE(w);
        write_records(*w, live.start());
        write_records(*w, live.apply(cmd(CommandKind::Dose), Ms{600000}).effects);
        write_records(*w, live.apply(cmd(CommandKind::Comfort), Ms{700000}).effects);
        write_records(*w, live.apply(cmd(CommandKind::Hold), Ms{800000}).effects);
    }
    // The records only: the bits flipped are the data's, not the preallocated zero tail's.
    std::string original = read_all(path);
    original.resize(original.find_last_not_of('\0') + 1);
    const JournalContents clean = read_journal(path);
    REQUIRE(clean.records.size() >= 4);
    REQUIRE(clean.damaged.empty());

    std::mt19937 rng(20261121);
    std::uniform_int_distribution<std::size_t> byte(0, original.size() - 1);
    std::uniform_int_distribution<int> bit(0, 7);
    for (int round = 0; round < 400; ++round) { // bounded: 400 flips of one bit each
        std::string damaged = original;
        const std::size_t at = byte(rng);
        damaged[at] = static_cast<char>(damaged[at] ^ (1 << bit(rng)));
        CAPTURE(at);
        write_all(path, damaged);
        const JournalContents got = read_journal(path);
        // Every record read is one of the originals, in order.
        std::size_t j = 0;
        for (const auto& r : got.records) {
            while (j < clean.records.size() && clean.records[j] != r)
                ++j;
            REQUIRE(j < clean.records.size()); // a record that was never written
            ++j;
        }
        // Anything missing is reported: damaged, or the last line taken for a torn tail.
        if (got.records.size() < clean.records.size())
            CHECK((!got.damaged.empty() || got.torn_tail));
    }
}

TEST_CASE("a damaged start record resumes nothing, not an older unfinished session") {
    TempDir dir;
    std::string error;
    {
        SessionSetup older = setup_from(kThreeHourTemplate, three_hour_playlists());
        older.id = "s-older";
        Session s(older);
        auto w = JournalWriter::open(journal_path(dir.path, "s-older"), &error);
        write_records(*w, s.start());
    }
    const fs::path newest = journal_path(dir.path, "s-newest");
    {
        SessionSetup setup = setup_from(kThreeHourTemplate, three_hour_playlists());
        setup.id = "s-newest";
        Session s(setup);
        auto w = JournalWriter::open(newest, &error);
        write_records(*w, s.start());
        write_records(*w, s.apply(cmd(CommandKind::Dose), Ms{600000}).effects);
    }
    REQUIRE(write_current_session(dir.path, "s-newest"));
    REQUIRE(find_unfinished_journal(dir.path) == newest);
    std::string text = read_all(newest);
    text[text.find("\"start\"") + 2] ^= 0x01; // one bit in the start record
    write_all(newest, text);
    std::string damage;
    CHECK_FALSE(find_unfinished_journal(dir.path, &damage).has_value());
    CHECK(damage.find("no readable start record") != std::string::npos);
    CHECK(damage.find("checksum") != std::string::npos);
}

TEST_CASE("a flipped bit in the dose record: the room resumes and shows the damage on the tablet, "
          "never silently") {
    TempDir dir;
    const Library lib = write_small_library(
        dir.path / "lib",
        R"({"name":"S","phases":[{"id":"a","until":"dose","duration":"20m"},{"id":"b","duration":"40m"}]})");
    ManualClock clock;
    std::string id;
    {
        Room room(lib, dir.path / "state", clock);
        REQUIRE(room.start({"s", ""}).ok);
        id = room.state()["session"]["id"].get<std::string>();
        clock.advance_by(std::chrono::minutes{5});
        REQUIRE(room.command(cmd(CommandKind::Dose)).ok);
        clock.advance_by(std::chrono::minutes{1});
        REQUIRE(room.command(cmd(CommandKind::Hold)).ok);
    } // power cut
    const fs::path journal = journal_path(dir.path / "state", id);
    std::string text = read_all(journal);
    const auto dose = text.find("\"cmd\":\"dose\"");
    REQUIRE(dose != std::string::npos);
    text[dose + 8] ^= 0x04; // "dose" -> "d`se": one bit
    write_all(journal, text);
    Room again(lib, dir.path / "state", clock);
    REQUIRE(again.resume() == id); // the latest session, not another
    Json journal_device;
    const Json state = again.state(); // alive through the loop
    for (const auto& d : state["devices"])
        if (d["id"] == "journal") journal_device = d;
    CHECK(journal_device["ok"] == false);
    CHECK(journal_device["detail"].get<std::string>().find(
              "1 damaged journal record(s) skipped on resume") != std::string::npos);
}
