// A new library's loudness scan on every core (LoudnessCache::prefetch, docs/depth.md): the
// values are those a one-file measurement gives, every file lands in the one cache file the
// loader writes, a file that cannot be measured is reported by get() with its reason
// (without measuring it again), and load_library uses it for every playlist's files.
#include "temp_dir.hpp"

#include "library/library.hpp"
#include "playlists/loudness.hpp"
#include "playlists/sndfile.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

void write_sine(const fs::path& path, double amplitude, double seconds) {
    fs::create_directories(path.parent_path());
    std::string error;
    auto f = SndFile::open_write(path, 48000, 2, AudioFormat::WavFloat, &error);
    REQUIRE(f);
    const auto frames = static_cast<std::int64_t>(seconds * 48000);
    std::vector<float> buf(static_cast<std::size_t>(frames * 2));
    for (std::int64_t i = 0; i < frames; ++i)
        buf[static_cast<std::size_t>(2 * i)] = buf[static_cast<std::size_t>(2 * i + 1)] =
            static_cast<float>(amplitude *
                               std::sin(2 * M_PI * 1000.0 * static_cast<double>(i) / 48000));
    REQUIRE(f->write(buf.data(), frames) == frames);
}

} // namespace

TEST_CASE("loudness: a new library is measured in parallel, with the values of one-file "
          "measurements, into one cache file") {
    TempDir dir;
    std::vector<std::string> files;
    for (int i = 0; i < 7; ++i) {
        files.push_back("audio/t" + std::to_string(i) + ".wav");
        write_sine(dir.path / files.back(), 0.05 * (i + 1), 1.0 + 0.25 * i);
    }
    std::ofstream(dir.path / "audio/broken.wav") << "not audio";
    files.push_back("audio/broken.wav");
    files.push_back("audio/t0.wav"); // named twice: measured once

    for (const unsigned threads : {1u, 2u, 4u, 0u}) { // 0: one per core
        CAPTURE(threads);
        fs::remove(dir.path / ".loudness-cache.json");
        {
            LoudnessCache cache(dir.path);
            cache.prefetch(files, threads);
            for (std::size_t i = 0; i < 7; ++i) {
                CAPTURE(files[i]);
                const auto held = cache.cached(files[i]); // measured by prefetch, not by get()
                REQUIRE(held);
                std::string error;
                const auto alone = measure_loudness(dir.path / files[i], &error);
                REQUIRE(alone);
                CHECK(held->integrated_lufs == alone->integrated_lufs);
                CHECK(held->true_peak_dbtp == alone->true_peak_dbtp);
                CHECK(held->duration_s == alone->duration_s);
            }
            std::string error;
            CHECK_FALSE(cache.cached("audio/broken.wav"));
            CHECK_FALSE(cache.get("audio/broken.wav", &error));
            CHECK_FALSE(error.empty());
            cache.save();
        }
        // One file, every measured entry in it; a new cache reads them back.
        LoudnessCache again(dir.path);
        for (std::size_t i = 0; i < 7; ++i)
            CHECK(again.cached(files[i]));
        CHECK_FALSE(fs::exists(dir.path / ".loudness-cache.json.tmp"));
    }
}

TEST_CASE("loudness: load_library measures every playlist's files before it needs them") {
    TempDir dir;
    fs::create_directories(dir.path / "playlists");
    std::ofstream(dir.path / "room.json") << R"({"room": "r"})";
    write_sine(dir.path / "audio/a.wav", 0.1, 1.0);
    write_sine(dir.path / "audio/l0.wav", 0.2, 1.0);
    write_sine(dir.path / "audio/l1.wav", 0.3, 1.0);
    std::ofstream(dir.path / "playlists/p.json")
        << R"({"name": "P", "tracks": [{"file": "audio/a.wav"}, {"title": "piece", "layers": [)"
           R"({"file": "audio/l0.wav", "depth": 0}, {"file": "audio/l1.wav", "depth": 1}]}]})";
    Problems problems;
    const Library lib = load_library(dir.path, problems);
    INFO(problems.to_string());
    CHECK_FALSE(problems.has_errors());
    LoudnessCache cache(dir.path);
    for (const char* f : {"audio/a.wav", "audio/l0.wav", "audio/l1.wav"}) {
        CAPTURE(f);
        CHECK(cache.cached(f));
    }
    // The piece's gain is its loudest layer's normalisation, as before.
    const auto loud = cache.cached("audio/l1.wav");
    REQUIRE(loud);
    CHECK(lib.playlist_infos.at("p").tracks.at(1).gain_db ==
          doctest::Approx(normalisation_gain_db(*loud)));
}
