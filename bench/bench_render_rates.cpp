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
#include "render_vs_sox.hpp"

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
    const auto m = bench::render_against_sox(dir, files, setup, -6);
    if (!m) return 1;
    const RenderResult& r = m->result;
    const double sox_wall = m->sox_wall, sox_cpu = m->sox_cpu;
    const double render_wall = m->render_wall, render_cpu = m->render_cpu;
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
