// A long file measured in parts on several threads (LoudnessCache::prefetch with
// LoudnessMeter::lead_in, playlists/loudness.hpp) gives what one pass over it gives: the
// integrated loudness within 0.01 LU (the gating blocks are the same ones; only the
// K-weighting filter starts afresh at each part's lead-in), the same true peak and
// duration, on any number of threads; a long file cut short fails with its reason, as
// one pass does.
#include "temp_dir.hpp"

#include "playlists/audio_source.hpp"
#include "playlists/loudness.hpp"
#include "playlists/sndfile.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <random>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

// `seconds` of stereo noise whose level swells and falls (and is silent for 4 s in the
// middle, so the gates have work), with one inter-sample peak late in the file. With
// `loud_at_seams`, quiet noise but for a loud second around each 30 s mark, where parts
// meet: the loudness blocks across a seam are then most of the loudness.
void write_music(const fs::path& path, int rate, double seconds, unsigned seed,
                 bool loud_at_seams = false) {
    fs::create_directories(path.parent_path());
    std::string error;
    auto f = SndFile::open_write(path, rate, 2, AudioFormat::Flac16, &error);
    REQUIRE(f);
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    const auto frames = static_cast<std::int64_t>(seconds * rate);
    std::vector<float> buf(static_cast<std::size_t>(2 * rate));
    for (std::int64_t at = 0; at < frames;) {
        const std::int64_t n = std::min<std::int64_t>(rate, frames - at);
        for (std::int64_t i = 0; i < n; ++i) {
            const double t = static_cast<double>(at + i) / rate;
            double level = 0.05 + 0.1 * (0.5 + 0.5 * std::sin(2 * M_PI * t / 23.0));
            if (t > seconds / 2 && t < seconds / 2 + 4) level = 0;
            if (loud_at_seams)
                level = std::fabs(t - 30 * std::round(t / 30)) < 0.5 && t > 1 ? 0.3 : 0.01;
            auto v = static_cast<float>(level * noise(rng));
            if (t > seconds - 5 && t < seconds - 4.99) // a burst at a quarter of the rate
                v = static_cast<float>(0.9 *
                                       std::sin(M_PI / 2 * static_cast<double>(at + i) + M_PI / 4));
            buf[static_cast<std::size_t>(2 * i)] = v;
            buf[static_cast<std::size_t>(2 * i + 1)] = 0.8f * v;
        }
        REQUIRE(f->write(buf.data(), n) == n);
        at += n;
    }
}

} // namespace

TEST_CASE("loudness: a long file measured in parts gives what one pass gives") {
    TempDir dir;
    struct Case {
        const char* file;
        int rate;
        double seconds;
        bool loud_at_seams = false;
    };
    const Case cases[] = {
        {"audio/long-48k.flac", 48000, 95.5},   // 4 parts, the last one short
        {"audio/long-44k.flac", 44100, 61.0},   // 3 parts, the last one 1 s
        {"audio/short-44k.flac", 44100, 59.0},  // one pass: shorter than two parts
        {"audio/long-22k.flac", 22050, 120.25}, // 5 parts
        {"audio/seams.flac", 44100, 100, true}, // 4 parts, loud where they meet
    };
    std::vector<std::string> files;
    for (std::size_t i = 0; i < std::size(cases); ++i) {
        write_music(dir.path / cases[i].file, cases[i].rate, cases[i].seconds,
                    static_cast<unsigned>(i + 1), cases[i].loud_at_seams);
        files.push_back(cases[i].file);
    }
    for (const unsigned threads : {1u, 2u, 3u}) {
        CAPTURE(threads);
        fs::remove(dir.path / ".loudness-cache.json");
        LoudnessCache cache(dir.path);
        cache.prefetch(files, threads);
        for (const auto& c : cases) {
            CAPTURE(c.file);
            const auto parts = cache.cached(c.file);
            REQUIRE(parts);
            std::string error;
            const auto whole = measure_loudness(dir.path / c.file, &error);
            REQUIRE(whole);
            CAPTURE(whole->integrated_lufs);
            CAPTURE(parts->integrated_lufs);
            CHECK(whole->integrated_lufs > -40); // it measured music, not silence
            CHECK(std::fabs(parts->integrated_lufs - whole->integrated_lufs) < 0.01);
            CHECK(parts->true_peak_dbtp == whole->true_peak_dbtp);
            CHECK(whole->true_peak_dbtp > -1.5); // the late burst was found (0.9: -0.9 dBTP)
            CHECK(parts->duration_s == whole->duration_s);
            CHECK(parts->duration_s == doctest::Approx(c.seconds).epsilon(1e-4));
            CHECK(parts->sample_rate == c.rate);
            CHECK(parts->channels == 2);
        }
    }
}

TEST_CASE("loudness: a long file cut short fails in parts as in one pass, with its reason") {
    TempDir dir;
    write_music(dir.path / "audio/cut.flac", 48000, 90, 7);
    const auto size = fs::file_size(dir.path / "audio/cut.flac");
    fs::resize_file(dir.path / "audio/cut.flac", size * 6 / 10);
    std::string whole_error;
    CHECK_FALSE(measure_loudness(dir.path / "audio/cut.flac", &whole_error));
    CHECK(whole_error.find("truncated") != std::string::npos);
    LoudnessCache cache(dir.path);
    cache.prefetch({"audio/cut.flac"}, 2);
    CHECK_FALSE(cache.cached("audio/cut.flac"));
    std::string error;
    CHECK_FALSE(cache.get("audio/cut.flac", &error)); // the scan's reason, not measured again
    CAPTURE(error);
    CHECK_FALSE(error.empty());
}
