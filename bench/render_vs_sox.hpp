// The render benchmarks' measurement: sox decoding and resampling each file to 48 kHz stereo
// float (the floor, one process after the other, as the render reads one voice after the
// other), then the render of the same session (for a first render: with the library's load
// and loudness scan); wall and CPU time of each.
#pragma once

#include "playlists/render.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <vector>

namespace stillroom::bench {

using WallClock = std::chrono::steady_clock; // benchmarks measure real time by design

inline double cpu_seconds(int who) {
    rusage u{};
    getrusage(who, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

inline double seconds_since(WallClock::time_point t0) {
    return std::chrono::duration<double>(WallClock::now() - t0).count();
}

struct RenderVsSox {
    double sox_wall = 0, sox_cpu = 0, render_wall = 0, render_cpu = 0;
    RenderResult result;
};

// sox decoding and resampling each file, one process after the other: wall and CPU seconds
// into `m`. False, with the reason on stderr, when sox fails.
inline bool sox_floor(const std::filesystem::path& dir, const std::vector<std::string>& files,
                      RenderVsSox& m) {
    const double sox_cpu0 = cpu_seconds(RUSAGE_CHILDREN);
    for (const auto& f : files) {
        const std::string cmd =
            "sox -q '" + (dir / f).string() + "' -t f32 -r 48000 -c 2 /dev/null";
        const auto t0 = WallClock::now();
        if (std::system(cmd.c_str()) != 0) {
            std::fprintf(stderr, "failed: %s\n", cmd.c_str());
            return false;
        }
        m.sox_wall += seconds_since(t0);
    }
    m.sox_cpu = cpu_seconds(RUSAGE_CHILDREN) - sox_cpu0;
    return true;
}

// The render of the session `prepare` makes, timed with `prepare` itself (for a first
// render: loading the library, which measures the loudness of every new file), into `m`.
// False, with the reason on stderr, when `prepare` or the render fails.
inline bool timed_render(const std::function<std::optional<SessionSetup>()>& prepare,
                         const std::filesystem::path& dir, double max_volume_db, RenderVsSox& m) {
    RenderOptions o;
    o.library_dir = dir;
    o.max_volume_db = max_volume_db;
    const double cpu0 = cpu_seconds(RUSAGE_SELF);
    const auto t0 = WallClock::now();
    const auto setup = prepare();
    if (!setup) {
        std::fprintf(stderr, "no session to render\n");
        return false;
    }
    m.result = render_session(*setup, o);
    m.render_wall = seconds_since(t0);
    m.render_cpu = cpu_seconds(RUSAGE_SELF) - cpu0;
    if (!m.result.ok || !m.result.failures.empty()) {
        std::fprintf(stderr, "render failed: %s\n", m.result.error.c_str());
        return false;
    }
    return true;
}

// nullopt, with the reason on stderr, when sox or the render fails.
inline std::optional<RenderVsSox> render_against_sox(const std::filesystem::path& dir,
                                                     const std::vector<std::string>& files,
                                                     const SessionSetup& setup,
                                                     double max_volume_db) {
    RenderVsSox m;
    if (!sox_floor(dir, files, m)) return std::nullopt;
    if (!timed_render([&] { return std::optional<SessionSetup>(setup); }, dir, max_volume_db, m))
        return std::nullopt;
    return m;
}

} // namespace stillroom::bench
