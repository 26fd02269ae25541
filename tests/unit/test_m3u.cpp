// M3U import and export on the files real players write.
#include "temp_dir.hpp"
#include "test_support.hpp"

#include "playlists/m3u.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

TEST_CASE("M3U import: the nasty cases") {
    TempDir dir;
    const fs::path lib = dir.path / "library";
    touch(lib / "audio/Grounding one.flac");
    touch(lib / "audio/Ärzte – Stille.flac");
    touch(lib / "audio/sub dir/three.ogg");
    touch(lib / "audio/four.wav");
    touch(dir.path / "elsewhere/outside.flac");
    const std::string text = "\xEF\xBB\xBF#EXTM3U\r\n"
                             "#PLAYLIST:Grounding\r\n"
                             "# a comment line\r\n"
                             "#EXTINF:312,Hania Rani - Grounding One\r\n"
                             "audio/Grounding one.flac\r\n"
                             "\r\n"
                             "#EXTINF:-1,Ärzte – Stille\r\n"
                             "audio/Ärzte – Stille.flac\r\n"
                             "audio\\sub dir\\three.ogg\r\n" +
                             (lib / "audio/four.wav").string() +
                             "\r\n"
                             "file://" +
                             (lib / "audio/four.wav").string() +
                             "\r\n"
                             "http://radio.example/stream.mp3\r\n"
                             "audio/missing.flac\r\n"
                             "../elsewhere/outside.flac";
    M3uImport r = import_m3u(text, lib, lib, "grounding", "grounding.m3u");
    INFO(r.problems.to_string());
    REQUIRE(r.playlist.tracks.size() == 5);
    CHECK(r.playlist.name == "Grounding");
    CHECK(r.playlist.tracks[0].file == "audio/Grounding one.flac");
    CHECK(r.playlist.tracks[0].artist == "Hania Rani");
    CHECK(r.playlist.tracks[0].title == "Grounding One");
    CHECK(r.playlist.tracks[1].file == "audio/Ärzte – Stille.flac");
    CHECK(r.playlist.tracks[1].title == "Ärzte – Stille"); // an en dash is not the separator
    CHECK(r.playlist.tracks[2].file == "audio/sub dir/three.ogg");
    CHECK(r.playlist.tracks[2].title.empty()); // #EXTINF applies to the next entry only
    CHECK(r.playlist.tracks[3].file == "audio/four.wav");
    CHECK(r.playlist.tracks[4].file == "audio/four.wav");
    // Reported, never silently dropped: the URL, the missing file and the outsider.
    CHECK(r.problems.error_count() == 3);
    CHECK(has_problem(r.problems, "line 12", "is a URL"));
    CHECK(has_problem(r.problems, "line 13", "does not exist"));
    CHECK(has_problem(r.problems, "line 14", "outside the library"));
    CHECK(r.problems.list()[0].to_string().rfind("grounding.m3u: line 12:", 0) == 0);
}

TEST_CASE("M3U relative to the .m3u file's own folder") {
    TempDir dir;
    const fs::path lib = dir.path / "library";
    touch(lib / "audio/a.flac");
    const std::string text = "#EXTM3U\n../audio/a.flac\n";
    M3uImport r = import_m3u(text, lib / "lists", lib, "x", "lists/x.m3u");
    REQUIRE(r.playlist.tracks.size() == 1);
    CHECK(r.playlist.tracks[0].file == "audio/a.flac");
}

TEST_CASE("M3U export and import round trip") {
    TempDir dir;
    const fs::path lib = dir.path / "library";
    touch(lib / "audio/Grounding one.flac");
    touch(lib / "audio/Ärzte – Stille.flac");
    Playlist p;
    p.id = "g";
    p.name = "Grounding";
    p.tracks = {{"audio/Grounding one.flac", "Grounding One", "Hania Rani", Ms{0}, std::nullopt, 0,
                 std::nullopt},
                {"audio/Ärzte – Stille.flac", "Stille", "", Ms{0}, std::nullopt, 0, std::nullopt}};
    PlaylistInfo info;
    info.tracks = {TrackInfo{"", "", "", Ms{0}, Ms{312400}, 0}, TrackInfo{}};
    const std::string text = export_m3u(p, info, lib, lib / "exports");
    CHECK(text.rfind("#EXTM3U\n", 0) == 0);
    CHECK(text.find("#EXTINF:312,Hania Rani - Grounding One\n../audio/Grounding one.flac\n") !=
          std::string::npos);
    CHECK(text.find("#EXTINF:-1,Stille\n") != std::string::npos);
    M3uImport back = import_m3u(text, lib / "exports", lib, "g", "g.m3u8");
    CHECK(back.problems.empty());
    REQUIRE(back.playlist.tracks.size() == 2);
    CHECK(back.playlist.tracks[0].file == p.tracks[0].file);
    CHECK(back.playlist.tracks[0].artist == "Hania Rani");
    CHECK(back.playlist.tracks[1].file == p.tracks[1].file);
    CHECK(back.playlist.name == "Grounding");
}
