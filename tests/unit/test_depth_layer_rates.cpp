// The curator's save (PUT /api/v1/playlists/NAME through LibraryFiles) checks that the layers
// of a piece are of one length at the ROOM's rate, as `check` does, not at 48 kHz. The
// layers are of two rates; their lengths after resampling (frames * room / file rate,
// rounded down as the decoder delivers them) agree at one room rate and not at the other.
#include "temp_dir.hpp"

#include "library/library_files.hpp"
#include "playlists/sndfile.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

void write_frames(const fs::path& path, int rate, std::int64_t frames) {
    std::string error;
    auto f = SndFile::open_write(path, rate, 2, AudioFormat::WavFloat, &error);
    REQUIRE(f);
    std::vector<float> buf(static_cast<std::size_t>(frames * 2), 0.1f);
    REQUIRE(f->write(buf.data(), frames) == frames);
}

std::string room_json(int rate) {
    return R"({"room": "r", "audio": {"device": "default", "sample_rate": )" +
           std::to_string(rate) + R"(, "outputs": [{"id": "room", "channels": [1, 2]}]}})";
}

} // namespace

TEST_CASE("layers: the curator's save checks layer lengths at the room's rate (44.1 and 48 kHz)") {
    TempDir dir;
    fs::create_directories(dir.path / "audio");
    fs::create_directories(dir.path / "playlists");
    // a44: 44100 frames at 44.1 kHz = 44100 at 44.1, 48000 at 48.
    // b48: 48001 frames at 48 kHz   = 44100 at 44.1 (44100.9 rounded down), 48001 at 48.
    // c44: 44101 frames at 44.1 kHz = 44101 at 44.1, 48001 at 48 (48001.08).
    write_frames(dir.path / "audio/a44.wav", 44100, 44100);
    write_frames(dir.path / "audio/b48.wav", 48000, 48001);
    write_frames(dir.path / "audio/c44.wav", 44100, 44101);
    struct Row {
        int room_rate;
        const char* first;
        const char* second;
        bool one_length;
    };
    const Row rows[] = {
        {44100, "audio/a44.wav", "audio/b48.wav", true},  // 44100 = 44100
        {48000, "audio/a44.wav", "audio/b48.wav", false}, // 48000 != 48001
        {44100, "audio/c44.wav", "audio/b48.wav", false}, // 44101 != 44100
        {48000, "audio/c44.wav", "audio/b48.wav", true},  // 48001 = 48001
    };
    for (const auto& row : rows) {
        CAPTURE(row.room_rate);
        CAPTURE(row.first);
        CAPTURE(row.second);
        std::ofstream(dir.path / "room.json", std::ios::trunc) << room_json(row.room_rate);
        fs::remove(dir.path / "playlists/p.json");
        LibraryFiles files(dir.path, nullptr);
        const std::string body =
            std::string(R"({"name": "P", "tracks": [{"title": "piece", "layers": [)") +
            R"({"file": ")" + row.first + R"(", "depth": 0}, )" + R"({"file": ")" + row.second +
            R"(", "depth": 1}]}]})";
        const FileResult r = files.put(FileKind::Playlist, "p", body);
        const std::string answer = r.body.dump();
        CAPTURE(answer);
        if (row.one_length) {
            CHECK(r.status == 200);
            CHECK(fs::exists(dir.path / "playlists/p.json"));
        } else {
            CHECK(r.status == 400);
            CHECK(answer.find("tracks[0].layers[1].file") != std::string::npos);
            CHECK(answer.find("at the room's " + std::to_string(row.room_rate) + " Hz") !=
                  std::string::npos);
            CHECK_FALSE(fs::exists(dir.path / "playlists/p.json"));
        }
    }
}
