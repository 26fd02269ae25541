// Audio benchmarks: offline render speed of a three-hour session against the plain
// libsndfile decoding floor, the mixer's time per 512-frame block, and peak memory.
// Prints a table. usage: bench_audio [WORK_DIR]
#include "bench_session.hpp"
#include "engine/plan.hpp"
#include "playlists/audio_engine.hpp"
#include "playlists/loudness.hpp"
#include "playlists/playlist.hpp"
#include "playlists/render.hpp"
#include "playlists/sndfile.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sys/resource.h>
#include <vector>

using namespace stillroom;
namespace fs = std::filesystem;
using WallClock = std::chrono::steady_clock; // benchmarks measure real time by design

namespace {

double seconds_since(WallClock::time_point t0) {
    return std::chrono::duration<double>(WallClock::now() - t0).count();
}

long peak_rss_kb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

// Six five-minute FLAC tracks of slowly beating tones at different levels.
std::vector<std::string> make_tracks(const fs::path& dir) {
    std::vector<std::string> files;
    fs::create_directories(dir);
    for (int t = 0; t < 6; ++t) {
        const std::string name = "track-" + std::to_string(t) + ".flac";
        files.push_back(name);
        if (fs::exists(dir / name)) continue;
        std::string error;
        auto f = SndFile::open_write(dir / name, 48000, 2, AudioFormat::Flac16, &error);
        const double level = 0.05 + 0.08 * t;
        std::vector<float> buf(48000 * 2);
        for (int s = 0; s < 300; ++s) {
            for (int i = 0; i < 48000; ++i) {
                const double x = (s * 48000.0 + i) / 48000.0;
                const float v = static_cast<float>(level * std::sin(2 * M_PI * (110 + 20 * t) * x) *
                                                   (0.7 + 0.3 * std::sin(2 * M_PI * 0.1 * x)));
                buf[static_cast<std::size_t>(2 * i)] = v;
                buf[static_cast<std::size_t>(2 * i + 1)] = v * 0.9f;
            }
            f->write(buf.data(), 48000);
        }
    }
    return files;
}

} // namespace

int main(int argc, char** argv) {
    const fs::path dir =
        argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "stillroom-bench-audio";
    std::printf("preparing FLAC sources in %s ...\n", dir.c_str());
    const auto files = make_tracks(dir);
    const Json tmpl = Json::parse(
        R"({"name":"bench","phases":[{"id":"a","duration":"1h","playlist":"p","volume_db":-12},
        {"id":"b","duration":"1h","playlist":"p","volume_db":-15,"fade":"2m"},{"id":"c","duration":"1h","playlist":"p","volume_db":-18,"fade":"5m"}],
        "cues":[{"at":"start+30m","volume_db":-20,"ramp":"1m"},{"at":"start+2h30m","volume_db":-14,"ramp":"30s"}],"end":{"fade":"1m"}})");
    const SessionSetup setup = bench::bench_session(dir, files, Json{{"crossfade", "12s"}}, tmpl);

    // The floor: decode three hours of the same FLAC files with plain libsndfile.
    const std::int64_t session_frames = 3LL * 3600 * 48000;
    auto t0 = WallClock::now();
    std::int64_t decoded = 0;
    std::vector<float> buf(4096 * 2);
    while (decoded < session_frames) {
        for (const auto& f : files) {
            std::string error;
            auto in = SndFile::open_read(dir / f, &error);
            std::int64_t n;
            while ((n = in->read(buf.data(), 4096)) > 0 && decoded < session_frames)
                decoded += n;
        }
    }
    const double decode_s = seconds_since(t0);

    RenderOptions o;
    o.library_dir = dir;
    o.max_volume_db = -6;
    t0 = WallClock::now();
    RenderResult r = render_session(setup, o);
    const double render_s = seconds_since(t0);
    const double audio_s = static_cast<double>(r.frames) / 48000.0;

    // The mixer's cost per 512-frame block, with two voices crossfading and a volume ramp.
    MixerConfig mc;
    mc.max_volume_db = -6;
    Mixer mixer(mc);
    AudioEngine engine({dir, 4, 2}, mixer, nullptr);
    std::vector<double> block_us;
    std::vector<float> out(512 * 2);
    std::int64_t frame = 0;
    for (int round = 0; round < 20; ++round) {
        TrackInfo info{files[static_cast<std::size_t>(round % 6)], "", "", Ms{0}, Ms{290000}, -3};
        engine.handle({Ms{0}, PlayTrack{"p", round % 6, info, Ms{0}, Ms{12000}}}, frame);
        engine.handle({Ms{0}, SetVolume{-12.0 - round % 5, Ms{5000}}}, frame);
        for (int b = 0; b < 1000; ++b) {
            engine.service();
            const auto s = WallClock::now();
            mixer.process(out.data(), 512);
            block_us.push_back(
                std::chrono::duration<double, std::micro>(WallClock::now() - s).count());
            engine.collect();
            frame += 512;
        }
    }
    std::sort(block_us.begin(), block_us.end());
    const double period_us = 512.0 / 48000.0 * 1e6;
    auto pct = [&](double p) {
        return block_us[static_cast<std::size_t>(p * static_cast<double>(block_us.size() - 1))];
    };

    std::printf("\n%-52s %14s\n", "measure", "value");
    std::printf("%-52s %14.1f\n", "session length rendered (s)", audio_s);
    std::printf("%-52s %14.2f\n", "render wall time (s)", render_s);
    std::printf("%-52s %14.0f\n", "render speed (x real time)", audio_s / render_s);
    std::printf("%-52s %14.2f\n", "plain libsndfile decode of 3 h (s)", decode_s);
    std::printf("%-52s %14.0f\n", "decode floor (x real time)",
                static_cast<double>(decoded) / 48000.0 / decode_s);
    std::printf("%-52s %14.2f\n", "render time / decode floor", render_s / decode_s);
    std::printf("%-52s %14llu\n", "render underruns", static_cast<unsigned long long>(r.underruns));
    std::printf("%-52s %14.1f\n", "mixer block 512 frames p50 (us)", pct(0.5));
    std::printf("%-52s %14.1f\n", "mixer block 512 frames p99 (us)", pct(0.99));
    std::printf("%-52s %14.1f\n", "mixer block 512 frames max (us)", block_us.back());
    std::printf("%-52s %14.2f\n", "mixer p99 as % of the 10.7 ms block period",
                100.0 * pct(0.99) / period_us);
    std::printf("%-52s %14ld\n", "peak memory (RSS, KB)", peak_rss_kb());
    return 0;
}
