// Render of a session playing a piece in three layers (issue 22) against the floor: `sox`
// decoding and resampling the same three files to 48 kHz stereo (libsoxr "high", as the
// render uses). The layers are 44.1 kHz stereo FLAC, five minutes each; the session moves
// the depth across all three. Two renders against one sox floor, in the same run:
// - the FIRST render of a new library (`stillroom render` on it: the library loaded with an
//   empty loudness cache, so every layer's EBU R128 loudness is measured, on every core,
//   then rendered): goal <= 1.0x the floor's wall time;
// - a render with the loudness cached: goal <= 2x the floor (CPU time).
// Prints a table with the goals and the ratios measured. usage: bench_render_layers [WORK_DIR]
#include "engine/plan.hpp"
#include "library/library.hpp"
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
#include <fstream>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

using namespace stillroom;
namespace fs = std::filesystem;

namespace {

constexpr int kLayerSeconds = 300;
constexpr int kLayerRate = 44100;

std::vector<std::string> make_layers(const fs::path& dir) {
    std::vector<std::string> files;
    fs::create_directories(dir);
    for (int t = 0; t < 3; ++t) {
        const std::string name = "layer-" + std::to_string(t) + ".flac";
        files.push_back(name);
        if (fs::exists(dir / name)) continue;
        std::string error;
        auto f = SndFile::open_write(dir / name, kLayerRate, 2, AudioFormat::Flac16, &error);
        if (!f) {
            std::fprintf(stderr, "cannot write %s: %s\n", name.c_str(), error.c_str());
            std::exit(1);
        }
        const double hz = 220.0 / (1 << t), level = 0.1 + 0.05 * t;
        std::vector<float> buf(static_cast<std::size_t>(kLayerRate * 2));
        for (int sec = 0; sec < kLayerSeconds; ++sec) {
            for (int i = 0; i < kLayerRate; ++i) {
                const double x = sec + static_cast<double>(i) / kLayerRate;
                const auto v = static_cast<float>(level * std::sin(2 * M_PI * hz * x) *
                                                  (0.7 + 0.3 * std::sin(2 * M_PI * 0.05 * x)));
                buf[static_cast<std::size_t>(2 * i)] = v;
                buf[static_cast<std::size_t>(2 * i + 1)] = v * 0.9f;
            }
            f->write(buf.data(), kLayerRate);
        }
    }
    return files;
}

// The same session as a library on disk (what `stillroom render` loads): room.json,
// playlists/p.json and sessions/bench.json beside the layers.
void write_library(const fs::path& dir, const Json& playlist, const Json& tmpl) {
    fs::create_directories(dir / "playlists");
    fs::create_directories(dir / "sessions");
    const std::pair<fs::path, Json> files[] = {
        {dir / "room.json", Json{{"room", "bench"}, {"name", "Bench"}}},
        {dir / "playlists" / "p.json", playlist},
        {dir / "sessions" / "bench.json", tmpl}};
    for (const auto& [path, json] : files) {
        std::ofstream out(path, std::ios::trunc);
        out << json.dump(1) << "\n";
        if (!out) {
            std::fprintf(stderr, "cannot write %s\n", path.c_str());
            std::exit(1);
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    const fs::path dir =
        argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "stillroom-bench-layers";
    std::printf("preparing three 44.1 kHz layers in %s ...\n", dir.c_str());
    const auto files = make_layers(dir);
    if (std::system("sox --version >/dev/null 2>&1") != 0) {
        std::fprintf(stderr, "sox is needed (scripts/install-deps.sh)\n");
        return 1;
    }
    const Json playlist = {{"loop", false},
                           {"tracks",
                            {{{"title", "piece"},
                              {"layers",
                               {{{"file", files[0]}, {"depth", 0}},
                                {{"file", files[1]}, {"depth", 0.5}},
                                {{"file", files[2]}, {"depth", 1}}}}}}}};
    const Json tmpl = Json::parse(
        R"({"name":"bench","phases":[{"id":"a","duration":"4m50s","playlist":"p","volume_db":-12,"depth":0}],
        "cues":[{"at":"start+1m","depth":1,"ramp":"1m"},{"at":"start+3m","depth":0.3,"ramp":"30s"}],
        "end":{"fade":"10s"}})");
    Problems problems("bench");
    auto loaded = load_playlist(playlist, "p", problems);
    LoudnessCache cache(dir);
    SessionSetup setup;
    setup.id = "bench";
    setup.playlists["p"] = playlist_info(*loaded, dir, problems, &cache, 48000);
    cache.save();
    setup.tmpl = *load_template(tmpl, "bench", problems);
    setup.template_json = tmpl;
    setup.max_volume_db = -6;
    if (problems.has_errors()) {
        std::fprintf(stderr, "%s\n", problems.to_string().c_str());
        return 1;
    }

    // The floor: sox decodes and resamples each layer to 48 kHz stereo float.
    bench::RenderVsSox first;
    if (!bench::sox_floor(dir, files, first)) return 1;
    // The first render of the library: nothing measured yet.
    const fs::path lib_dir = dir / "library";
    write_library(lib_dir, playlist, tmpl);
    for (const auto& f : files)
        fs::copy_file(dir / f, lib_dir / f, fs::copy_options::overwrite_existing);
    fs::remove(lib_dir / ".loudness-cache.json");
    const auto load = [&]() -> std::optional<SessionSetup> {
        Problems lp;
        Library lib = load_library(lib_dir, lp);
        auto s = lib.make_setup("bench", "bench", "", 1);
        if (lp.has_errors()) std::fprintf(stderr, "%s\n", lp.to_string().c_str());
        return lp.has_errors() ? std::nullopt : s;
    };
    if (!bench::timed_render(load, lib_dir, -6, first)) return 1;
    if (!fs::exists(lib_dir / ".loudness-cache.json")) {
        std::fprintf(stderr, "the first render wrote no loudness cache\n");
        return 1;
    }
    // A render with the loudness cached (against its own sox floor, measured again).
    const auto m = bench::render_against_sox(dir, files, setup, -6);
    if (!m) return 1;
    const RenderResult& r = m->result;
    const double sox_wall = m->sox_wall, sox_cpu = m->sox_cpu;
    const double render_wall = m->render_wall, render_cpu = m->render_cpu;
    const double audio_s = static_cast<double>(r.frames) / 48000.0;
    const double ratio_cpu = render_cpu / sox_cpu, ratio_wall = render_wall / sox_wall;
    const double first_wall = first.render_wall / first.sox_wall;
    const double first_cpu = first.render_cpu / first.sox_cpu;
    std::printf("\n%-56s %12s %10s\n", "measure", "value", "goal");
    std::printf("%-56s %12.1f\n", "session rendered (s of audio at 48 kHz)", audio_s);
    std::printf("%-56s %12d\n", "layers decoded at once (3 x 5 min at 44.1 kHz)", 3);
    std::printf("%-56s %12u\n", "cores (loudness scan threads at most)",
                std::thread::hardware_concurrency());
    std::printf("%-56s %12.2f\n", "first render (load + loudness scan + render): wall (s)",
                first.render_wall);
    std::printf("%-56s %12.2f\n", "first render: CPU time (s)", first.render_cpu);
    std::printf("%-56s %12.2f\n", "  its sox floor: wall time (s)", first.sox_wall);
    std::printf("%-56s %12.2f\n", "  its sox floor: CPU time (s)", first.sox_cpu);
    std::printf("%-56s %12.2f %10s %s\n", "first render / sox floor, wall time", first_wall,
                "<= 1.0", first_wall <= 1.0 ? "met" : "MISSED");
    std::printf("%-56s %12.2f\n", "first render / sox floor, CPU time", first_cpu);
    std::printf("%-56s %12.2f\n", "render (loudness cached): wall time (s)", render_wall);
    std::printf("%-56s %12.2f\n", "render (loudness cached): CPU time (s)", render_cpu);
    std::printf("%-56s %12.2f\n", "sox decode + resample to 48 kHz: wall time (s)", sox_wall);
    std::printf("%-56s %12.2f\n", "sox decode + resample to 48 kHz: CPU time (s)", sox_cpu);
    std::printf("%-56s %12.2f %10s %s\n", "render / sox floor, CPU time", ratio_cpu, "<= 2",
                ratio_cpu <= 2 ? "met" : "MISSED");
    std::printf("%-56s %12.2f %10s %s\n", "render / sox floor, wall time", ratio_wall, "<= 2",
                ratio_wall <= 2 ? "met" : "MISSED");
    std::printf("%-56s %12llu\n", "render underruns", static_cast<unsigned long long>(r.underruns));
    double load1 = 0, load5 = 0, load15 = 0;
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf %lf %lf", &load1, &load5, &load15) != 3) load1 = -1;
        std::fclose(f);
    }
    std::printf("%-56s %5.2f %5.2f %5.2f\n", "load average at the end (1, 5, 15 min)", load1, load5,
                load15);
    return ratio_cpu <= 2 && first_wall <= 1.0 ? 0 : 2;
}
