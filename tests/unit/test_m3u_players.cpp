// M3U files as real players write them: line endings, encodings, percent-encoding,
// Windows paths, non-audio entries and #EXTINF. Each fixture cites what it is written from.
#include "temp_dir.hpp"
#include "test_support.hpp"

#include "playlists/m3u.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string utf16le_with_bom(const std::u16string& s) {
    std::string out = "\xFF\xFE";
    for (char16_t c : s) {
        out += static_cast<char>(c & 0xFF);
        out += static_cast<char>(c >> 8);
    }
    return out;
}

struct PlayerLibrary {
    TempDir dir;
    fs::path lib = dir.path / "library";
    PlayerLibrary() {
        touch(lib / "audio/Grounding one.flac");
        touch(lib / "audio/Ärzte – Stille.flac");
        touch(lib / "audio/Café.flac");
        touch(lib / "audio/Nils Frahm/Says.flac");
        touch(lib / "audio/cover.jpg");
        touch(lib / "audio/notes.txt");
    }
};

} // namespace

TEST_CASE("CR-only line endings (iTunes / Music exports)") {
    // iTunes and Apple Music's File > Library > Export Playlist ("M3U") end lines with CR
    // alone (classic Mac OS line ends), e.g. the forum report at
    // https://discussions.apple.com/thread/250725468 ; the #EXTINF form is Winamp's
    // extended M3U (https://en.wikipedia.org/wiki/M3U#Extended_M3U).
    PlayerLibrary l;
    const std::string text =
        "#EXTM3U\r#EXTINF:312,Grounding One - Hania Rani\raudio/Grounding one.flac\r"
        "#EXTINF:415,Says - Nils Frahm\raudio/Nils Frahm/Says.flac\r";
    M3uImport r = import_m3u(text, l.lib, l.lib, "x", "x.m3u");
    INFO(r.problems.to_string());
    REQUIRE(r.playlist.tracks.size() == 2);
    CHECK(r.problems.empty());
    CHECK(r.playlist.tracks[1].file == "audio/Nils Frahm/Says.flac");
    CHECK(r.playlist.tracks[1].listed_length == Ms{415000});
    // Mixed CRLF and LF line ends count lines the same way.
    M3uImport mixed = import_m3u("#EXTM3U\r\naudio/missing.flac\naudio/Café.flac\r\n", l.lib, l.lib,
                                 "x", "x.m3u");
    CHECK(has_problem(mixed.problems, "line 2", "does not exist"));
    CHECK(mixed.playlist.tracks.size() == 1);
}

TEST_CASE("UTF-16 with a byte order mark") {
    // Windows tools (Notepad "Unicode", foobar2000 with UTF-16 output) write UTF-16LE with
    // the BOM FF FE; https://en.wikipedia.org/wiki/M3U ("M3U8 ... UTF-8"; plain .m3u has
    // no fixed encoding).
    PlayerLibrary l;
    const std::string bytes = utf16le_with_bom(
        u"#EXTM3U\r\n#EXTINF:200,Ärzte – Stille\r\naudio\\Ärzte – Stille.flac\r\n");
    M3uImport r = import_m3u(bytes, l.lib, l.lib, "x", "x.m3u");
    INFO(r.problems.to_string());
    REQUIRE(r.playlist.tracks.size() == 1);
    CHECK(r.playlist.tracks[0].file == "audio/Ärzte – Stille.flac");
    CHECK(r.playlist.tracks[0].title == "Ärzte – Stille");
    // Broken UTF-16 (a lone surrogate) is refused as a whole, with a reason.
    M3uImport bad = import_m3u(utf16le_with_bom(u"a\xD800"
                                                u"b"),
                               l.lib, l.lib, "x", "x.m3u");
    CHECK(bad.problems.has_errors());
    CHECK(bad.playlist.tracks.empty());
}

TEST_CASE("Latin-1 .m3u: read as Latin-1 when not UTF-8, never U+FFFD in a path") {
    // Winamp writes .m3u in the system code page (Windows-1252 / ISO-8859-1 for western
    // names); .m3u8 was introduced for UTF-8 (https://en.wikipedia.org/wiki/M3U).
    PlayerLibrary l;
    const std::string text =
        "#EXTM3U\n#EXTINF:180,Caf\xE9\naudio/Caf\xE9.flac\n"; // é = 0xE9 in Latin-1
    M3uImport r = import_m3u(text, l.lib, l.lib, "x", "x.m3u");
    INFO(r.problems.to_string());
    REQUIRE(r.playlist.tracks.size() == 1);
    CHECK(r.playlist.tracks[0].file == "audio/Café.flac");
    CHECK(r.playlist.tracks[0].title == "Café");
    CHECK(has_problem(r.problems, "", "read as Latin-1"));
    CHECK_FALSE(r.problems.has_errors());
    std::string encoding;
    const auto text_utf8 = m3u_text_to_utf8(text, encoding);
    REQUIRE(text_utf8);
    CHECK(encoding == "latin-1");
    CHECK(text_utf8->find("\xEF\xBF\xBD") == std::string::npos);
    // A file that already carries U+FFFD (lost by an earlier tool) is refused, not guessed.
    M3uImport lost = import_m3u("audio/Caf\xEF\xBF\xBD.flac\n", l.lib, l.lib, "x", "x.m3u");
    CHECK(has_problem(lost.problems, "line 1", "U+FFFD"));
    CHECK(lost.playlist.tracks.empty());
}

TEST_CASE("percent-encoded relative paths (VLC)") {
    // VLC's M3U writer (videolan/vlc modules/misc/playlist/m3u.c) writes each item's URI,
    // made relative to the playlist's folder but still percent-encoded: "Nils%20Frahm/Says.flac".
    PlayerLibrary l;
    touch(l.lib / "audio/100%25 real.flac"); // a name that really contains "%25"
    const std::string text =
        "#EXTM3U\n#EXTINF:415,Nils Frahm - Says\n../audio/Nils%20Frahm/Says.flac\n"
        "../audio/Caf%C3%A9.flac\n../audio/100%25 real.flac\n";
    M3uImport r = import_m3u(text, l.lib / "lists", l.lib, "x", "lists/x.m3u");
    INFO(r.problems.to_string());
    REQUIRE(r.playlist.tracks.size() == 3);
    CHECK(r.playlist.tracks[0].file == "audio/Nils Frahm/Says.flac");
    CHECK(r.playlist.tracks[0].artist == "Nils Frahm");
    CHECK(r.playlist.tracks[1].file == "audio/Café.flac");
    CHECK(r.playlist.tracks[2].file == "audio/100%25 real.flac"); // as written wins when it exists
}

TEST_CASE("non-audio entries are refused with a reason") {
    // Players list whatever sits in a folder when a folder is dragged in (VLC, foobar2000):
    // cover art, notes, nested playlists.
    PlayerLibrary l;
    const std::string text = "audio/cover.jpg\naudio/notes.txt\nother.m3u\naudio/Café.flac\n";
    M3uImport r = import_m3u(text, l.lib, l.lib, "x", "x.m3u");
    CHECK(has_problem(r.problems, "line 1", "is an image (.jpg), not audio"));
    CHECK(has_problem(r.problems, "line 2", "is not audio Stillroom plays (.txt)"));
    CHECK(has_problem(r.problems, "line 3", "is a playlist (.m3u)"));
    REQUIRE(r.playlist.tracks.size() == 1);
}

TEST_CASE("Windows drive-letter paths: reported, or mapped by their tail inside the library") {
    // Windows Media Player / MusicBee / Winamp write absolute paths with drive letters:
    // "C:\Users\Ana\Music\Nils Frahm\Says.flac" (https://en.wikipedia.org/wiki/M3U, example
    // "C:\Documents and Settings\I\My Music\Sample.mp3"); UNC shares as "\\server\share\...".
    PlayerLibrary l;
    const std::string text =
        "#EXTINF:415,Nils Frahm - Says\r\nC:\\Users\\Ana\\Music\\Nils Frahm\\Says.flac\r\n"
        "\\\\nas\\music\\audio\\Café.flac\r\nD:\\Elsewhere\\gone.flac\r\n";
    M3uImport reported = import_m3u(text, l.lib, l.lib, "x", "x.m3u");
    CHECK(reported.playlist.tracks.empty());
    CHECK(has_problem(reported.problems, "line 2", "is a Windows path; use --windows-paths tail"));
    CHECK(has_problem(reported.problems, "line 3", "is a Windows path"));

    M3uImport mapped = import_m3u(text, l.lib, l.lib, "x", "x.m3u", M3uOptions{WindowsPaths::Tail});
    INFO(mapped.problems.to_string());
    REQUIRE(mapped.playlist.tracks.size() == 2);
    CHECK(mapped.playlist.tracks[0].file == "audio/Nils Frahm/Says.flac");
    CHECK(mapped.playlist.tracks[0].listed_length == Ms{415000});
    CHECK(mapped.playlist.tracks[1].file == "audio/Café.flac");
    CHECK(has_problem(mapped.problems, "line 4", "no file in the library ends with"));
}

TEST_CASE("#EXTINF titles and lengths are kept, attributes skipped") {
    // Extended M3U: "#EXTINF:LENGTH,TITLE", -1 for unknown; IPTV lists add key="value"
    // attributes before the comma (https://en.wikipedia.org/wiki/M3U#Extended_M3U).
    PlayerLibrary l;
    const std::string text = "#EXTM3U\n#EXTINF:312.5 group-title=\"a, b\",Hania Rani - Grounding "
                             "One\naudio/Grounding one.flac\n"
                             "#EXTINF:-1,Café\naudio/Café.flac\n";
    M3uImport r = import_m3u(text, l.lib, l.lib, "x", "x.m3u");
    REQUIRE(r.playlist.tracks.size() == 2);
    CHECK(r.playlist.tracks[0].artist == "Hania Rani");
    CHECK(r.playlist.tracks[0].title == "Grounding One");
    CHECK(r.playlist.tracks[0].listed_length == Ms{312500});
    CHECK_FALSE(r.playlist.tracks[1].listed_length.has_value());
    // Kept through the playlist file.
    Problems p("x.json");
    auto back = load_playlist(playlist_to_json(r.playlist), "x", p);
    REQUIRE(back);
    CHECK(back->tracks[0].listed_length == Ms{312500});
}
