// Render of a session whose sources are 44.1, 48 and 96 kHz, mono and stereo, against the
// floor: `sox` decoding and resampling the same files to 48 kHz stereo (libsoxr at its
// default "high" quality, as the render uses). Prints a table with the goal and the ratio
// measured in this run. usage: bench_render_rates [WORK_DIR]
#include "bench_session.hpp"
#include "engine/plan.hpp"
#include "playlists/loudness.hpp"
#include "playlists/playlist.hpp"
#include "playlists/render.hpp"
#include "playlists/sndfile.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <vector>

using namespace stillroom;
namespace fs = std::filesystem;
using WallClock = std::chrono::steady_clock; // benchmarks measure real time by design

namespace {

struct Source {
    int rate;
    int channels;
};

// Six five-minute FLAC tracks: every rate and layout the issue names.
constexpr Source kSources[] = {{44100, 2}, {48000, 2}, {96000, 2},
                               {44100, 1}, {96000, 1}, {48000, 1}};
constexpr int kTrackSeconds = 300;

std::vector<std::string> make_tracks(const fs::path& dir) {
    std::vector<std::string> files;
    fs::create_directories(dir);
    int t = 0;
    for (const auto& s : kSources) {
        const std::string name = "mixed-" + std::to_string(t) + "-" + std::to_string(s.rate) + "-" +
                                 std::to_string(s.channels) + ".flac";
        files.push_back(name);
        const double level = 0.05 + 0.06 * t, hz = 110.0 + 30 * t;
        ++t;
        if (fs::exists(dir / name)) continue;
        std::string error;
        auto f = SndFile::open_write(dir / name, s.rate, s.channels, AudioFormat::Flac16, &error);
        if (!f) {
            std::fprintf(stderr, "cannot write %s: %s\n", name.c_str(), error.c_str());
            std::exit(1);
        }
        std::vector<float> buf(static_cast<std::size_t>(s.rate * s.channels));
        for (int sec = 0; sec < kTrackSeconds; ++sec) {
            for (int i = 0; i < s.rate; ++i) {
                const double x = sec + static_cast<double>(i) / s.rate;
                const auto v = static_cast<float>(level * std::sin(2 * M_PI * hz * x) *
                                                  (0.7 + 0.3 * std::sin(2 * M_PI * 0.1 * x)));
                for (int c = 0; c < s.channels; ++c)
                    buf[static_cast<std::size_t>(i * s.channels + c)] = c ? v * 0.9f : v;
            }
            f->write(buf.data(), s.rate);
        }
    }
    return files;
}

double cpu_seconds(int who) {
    rusage u{};
    getrusage(who, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double seconds_since(WallClock::time_point t0) {
    return std::chrono::duration<double>(WallClock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
    const fs::path dir =
        argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "stillroom-bench-rates";
    std::printf("preparing mixed-rate FLAC sources in %s ...\n", dir.c_str());
    const auto files = make_tracks(dir);
    if (std::system("sox --version >/dev/null 2>&1") != 0) {
        std::fprintf(stderr, "sox is needed (scripts/install-deps.sh)\n");
        return 1;
    }

    // The session: the six tracks once through, 12 s crossfades, volume cues.
    const Json tmpl = Json::parse(
        R"({"name":"bench","phases":[{"id":"a","duration":"29m","playlist":"p","volume_db":-12}],
        "cues":[{"at":"start+10m","volume_db":-20,"ramp":"1m"},{"at":"start+20m","volume_db":-14,"ramp":"30s"}],
        "end":{"fade":"30s"}})");
    const SessionSetup setup =
        bench::bench_session(dir, files, Json{{"crossfade", "12s"}, {"loop", false}}, tmpl);

    // The floor: sox decodes and resamples each file to 48 kHz stereo float, one process
    // after the other, as the render does one voice after the other.
    double sox_wall = 0;
    const double sox_cpu0 = cpu_seconds(RUSAGE_CHILDREN);
    for (const auto& f : files) {
        const std::string cmd =
            "sox -q '" + (dir / f).string() + "' -t f32 -r 48000 -c 2 /dev/null";
        const auto t0 = WallClock::now();
        if (std::system(cmd.c_str()) != 0) {
            std::fprintf(stderr, "failed: %s\n", cmd.c_str());
            return 1;
        }
        sox_wall += seconds_since(t0);
    }
    const double sox_cpu = cpu_seconds(RUSAGE_CHILDREN) - sox_cpu0;

    RenderOptions o;
    o.library_dir = dir;
    o.max_volume_db = -6;
    const double cpu0 = cpu_seconds(RUSAGE_SELF);
    const auto t0 = WallClock::now();
    const RenderResult r = render_session(setup, o);
    const double render_wall = seconds_since(t0);
    const double render_cpu = cpu_seconds(RUSAGE_SELF) - cpu0;
    if (!r.ok || !r.failures.empty()) {
        std::fprintf(stderr, "render failed: %s\n", r.error.c_str());
        return 1;
    }
    const double audio_s = static_cast<double>(r.frames) / 48000.0;
    const double ratio_cpu = render_cpu / sox_cpu, ratio_wall = render_wall / sox_wall;

    std::printf("\n%-56s %12s %10s\n", "measure", "value", "goal");
    std::printf("%-56s %12.1f\n", "session rendered (s of audio at 48 kHz)", audio_s);
    std::printf("%-56s %12d\n", "source audio decoded (s: 6 files x 5 min)",
                static_cast<int>(files.size()) * kTrackSeconds);
    std::printf("%-56s %12.2f\n", "render: wall time (s)", render_wall);
    std::printf("%-56s %12.2f\n", "render: CPU time (s)", render_cpu);
    std::printf("%-56s %12.0f\n", "render speed (x real time, wall)", audio_s / render_wall);
    std::printf("%-56s %12.2f\n", "sox decode + resample to 48 kHz: wall time (s)", sox_wall);
    std::printf("%-56s %12.2f\n", "sox decode + resample to 48 kHz: CPU time (s)", sox_cpu);
    std::printf("%-56s %12.2f %10s %s\n", "render / sox floor, CPU time", ratio_cpu, "<= 1.5",
                ratio_cpu <= 1.5 ? "met" : "MISSED");
    std::printf("%-56s %12.2f %10s %s\n", "render / sox floor, wall time", ratio_wall, "<= 1.5",
                ratio_wall <= 1.5 ? "met" : "MISSED");
    std::printf("%-56s %12llu\n", "render underruns", static_cast<unsigned long long>(r.underruns));
    return ratio_cpu <= 1.5 ? 0 : 2;
}
