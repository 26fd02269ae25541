// Loops over outside input end: every prefix of a realistic input (cut at every byte, as a
// torn upload or a file still being written would be) goes through each parser and
// returns. A loop that stops making progress is caught here, or by the per-test-case
// watchdog (tests/watchdog.hpp) which names the test instead of hanging CI.
#include "temp_dir.hpp"

#include "engine/duration.hpp"
#include "engine/journal.hpp"
#include "engine/time_expr.hpp"
#include "playlists/m3u.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

TEST_CASE("the M3U importer ends on every prefix of a file and counts its lines right") {
    TempDir dir;
    fs::create_directories(dir.path / "audio");
    std::ofstream(dir.path / "audio/a.flac") << "x";
    std::ofstream(dir.path / "audio/b.flac") << "x";
    // Extended M3U as VLC writes it (videolan/vlc modules/misc/playlist/m3u.c, DoChildren:
    // "#EXTM3U", "#EXTINF:<seconds>,<artist> - <name>", then the path), with a CRLF line
    // and no newline after the last line, as hand-edited files have.
    const std::string text =
        "#EXTM3U\n#EXTINF:300,A - One\naudio/a.flac\n\n#EXTINF:200,B - Two\r\naudio/b.flac";
    for (std::size_t n = 0; n <= text.size(); ++n) {
        CAPTURE(n);
        const auto r =
            import_m3u(std::string_view(text).substr(0, n), dir.path, dir.path, "p", "p.m3u");
        CHECK(r.playlist.tracks.size() <= 2);
    }
    const auto whole = import_m3u(text, dir.path, dir.path, "p", "p.m3u");
    REQUIRE(whole.playlist.tracks.size() == 2); // the last line, without its newline, counts
    CHECK(whole.playlist.tracks[1].file == "audio/b.flac");
    CHECK(whole.playlist.tracks[1].title == "Two");
    const auto bad = import_m3u("audio/a.flac\nmissing.flac\n", dir.path, dir.path, "p", "p.m3u");
    REQUIRE(bad.problems.list().size() == 1);
    CHECK(bad.problems.list()[0].path == "line 2"); // the line number is the real one
}

TEST_CASE("durations and time expressions and journals end on every prefix") {
    const std::string duration = "1h30m2.5s";
    for (std::size_t n = 0; n <= duration.size(); ++n)
        (void)parse_duration(std::string_view(duration).substr(0, n));
    CHECK(parse_duration(duration) == Ms{5'402'500});
    const std::string expr = "phase:peak+1h2m";
    for (std::size_t n = 0; n <= expr.size(); ++n)
        (void)parse_time_expr(std::string_view(expr).substr(0, n));
    CHECK(parse_time_expr(expr).has_value());

    TempDir dir;
    const std::string journal = R"({"type":"start","t":0})"
                                "\n"
                                R"({"type":"event","t":5})"
                                "\n";
    for (std::size_t n = 0; n <= journal.size(); ++n) {
        CAPTURE(n);
        {
            std::ofstream out(dir.path / "j.jsonl", std::ios::trunc | std::ios::binary);
            out << journal.substr(0, n);
        }
        const auto contents = read_journal(dir.path / "j.jsonl");
        CHECK(contents.records.size() <= 2);
    }
    // A garbage last line, even with its newline, is a torn tail (a crash mid-write), not a
    // problem in the middle of the journal.
    {
        std::ofstream out(dir.path / "j.jsonl", std::ios::trunc | std::ios::binary);
        out << R"({"type":"start","t":0})"
               "\n"
               R"({"type":"ev)"
               "\n";
    }
    const auto garbage = read_journal(dir.path / "j.jsonl");
    CHECK(garbage.records.size() == 1);
    CHECK(garbage.torn_tail);
    CHECK(garbage.problems.empty());
}
