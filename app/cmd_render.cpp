// stillroom render: the planned session (or a window of it) to a FLAC or WAV file for
// rehearsal, with an optional listening gain (and light targets as JSON lines).
#include "app/commands.hpp"
#include "devices/audio_driver.hpp"
#include "engine/duration.hpp"
#include "library/library.hpp"
#include "playlists/render.hpp"
#include "runtime/session_views.hpp"

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>

namespace stillroom::app {

namespace {

// Light targets for a scene change (the session's snapshot) at the session's depth, one
// JSON object per light; a depth change re-targets the lights that have "deep" values.
struct LightTargetWriter {
    std::ostream& out;
    const Library& lib;
    std::optional<SetScene> scene;
    double depth = 0;

    void on_effect(const Effect& e) {
        if (const auto* s = std::get_if<SetScene>(&e.body)) {
            scene = *s;
            for (const auto& j :
                 scene_light_targets(lib, s->scene, s->lights, e.at, s->fade, depth))
                out << dump_json(j) << "\n";
        } else if (const auto* d = std::get_if<SetDepth>(&e.body)) {
            depth = d->depth;
            if (!scene) return;
            SceneLights deep;
            for (const auto& [id, t] : scene->lights)
                if (t.deep) deep[id] = t;
            for (const auto& j : scene_light_targets(lib, scene->scene, deep, e.at, d->ramp, depth))
                out << dump_json(j) << "\n";
        }
    }
};

// The format asked for, else the one `out`'s extension names: FLAC for .flac, 16-bit WAV
// otherwise (a 77-minute session is ~0.9 GB as wav16, ~0.3-0.5 GB as FLAC, 1.8 GB as float).
std::optional<AudioFormat> render_format(const cli::Args& args, const std::string& out) {
    const std::string f = args.has("--format") ? args.get("--format")
                          : out.size() >= 5 && out.compare(out.size() - 5, 5, ".flac") == 0
                              ? "flac"
                              : "wav16";
    if (f == "flac") return AudioFormat::Flac16;
    if (f == "wav16") return AudioFormat::Wav16;
    if (f == "wav32f") return AudioFormat::WavFloat;
    return std::nullopt;
}

// A --from/--to argument as a session frame; nullopt (with a message) when malformed.
std::optional<std::int64_t> time_frame(const cli::Args& args, const std::string& name, int rate) {
    const auto t = parse_time_argument(args.get(name));
    if (!t) {
        std::cerr << "stillroom render: " << name << " \"" << args.get(name)
                  << "\" is not a session time (e.g. 10m, 1h5m, 1:05:00, 5:03.5)\n";
        return std::nullopt;
    }
    return t->count() * rate / 1000;
}

} // namespace

int cmd_render(const cli::Args& args) {
    Problems problems;
    Library lib = load_library(args.get("--library"), problems);
    const std::string name = args.get("--session");
    auto setup = lib.make_setup(name, "render", "", 1);
    if (!setup) {
        for (const auto& p : problems.list())
            if (p.severity == Severity::Error) std::cerr << p.to_string() << "\n";
        std::cerr << "stillroom render: no usable session template \"" << name << "\"\n";
        return cli::kBadInput;
    }
    std::ofstream lights;
    if (args.has("--lights")) {
        lights.open(args.get("--lights"), std::ios::trunc);
        if (!lights) {
            std::cerr << "stillroom render: cannot write " << args.get("--lights") << "\n";
            return cli::kBadInput;
        }
    }
    RenderOptions o;
    o.library_dir = lib.dir;
    o.out_wav = args.get("--out");
    if (lib.room.audio) {
        const MixerConfig mc = mixer_config_from(*lib.room.audio);
        o.sample_rate = mc.sample_rate;
        o.max_volume_db = mc.max_volume_db;
        o.groups = mc.groups;
        o.channels = mc.device_channels;
    }
    if (args.has("--rate")) o.sample_rate = std::stoi(args.get("--rate"));
    const auto format = render_format(args, o.out_wav.string());
    if (!format) {
        std::cerr << "stillroom render: --format must be flac, wav16 or wav32f, not \""
                  << args.get("--format") << "\"\n";
        return cli::kUsage;
    }
    o.format = *format;
    if (args.has("--from")) {
        const auto f = time_frame(args, "--from", o.sample_rate);
        if (!f) return cli::kUsage;
        o.from_frame = *f;
    }
    if (args.has("--to")) {
        const auto t = time_frame(args, "--to", o.sample_rate);
        if (!t) return cli::kUsage;
        if (*t <= o.from_frame) {
            std::cerr << "stillroom render: --to must be later than --from\n";
            return cli::kUsage;
        }
        o.to_frame = *t;
    }
    if (args.has("--gain-db") && args.has("--normalize")) {
        std::cerr << "stillroom render: give --gain-db or --normalize, not both\n";
        return cli::kUsage;
    }
    if (args.has("--gain-db")) {
        char* end = nullptr;
        const std::string text = args.get("--gain-db");
        const double g = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !std::isfinite(g) || g < -60 || g > 60) {
            std::cerr << "stillroom render: --gain-db must be a number of dB from -60 to 60, not \""
                      << text << "\"\n";
            return cli::kUsage;
        }
        o.gain_db = g;
    }
    LightTargetWriter light_writer{lights, lib, std::nullopt, 0};
    if (lights.is_open()) o.on_effect = [&](const Effect& e) { light_writer.on_effect(e); };
    SteadyDeviceClock timer; // the render's own speed, in real time
    const DeviceTime started = timer.now();
    if (args.has("--normalize")) {
        // A first pass finds the window's peak (the render is deterministic); the second
        // writes it with the gain that brings that peak to the limiter's ceiling, -1 dBFS.
        RenderOptions probe = o;
        probe.out_wav.clear();
        probe.on_effect = nullptr;
        const RenderResult p = render_session(*setup, probe);
        if (p.ok && p.peak > 0)
            o.gain_db = std::min(60.0, -1.0 - 20.0 * std::log10(static_cast<double>(p.peak)));
    }
    RenderResult r = render_session(*setup, o);
    const double took = to_seconds(timer.now() - started);
    if (!r.ok) {
        std::cerr << "stillroom render: " << r.error << "\n";
        return cli::kBadInput;
    }
    for (const auto& [file, why] : r.failures)
        std::cerr << "skipped " << file << ": " << why << "\n";
    for (const auto& f : r.layer_faults)
        std::cerr << "library fault: " << f.file << " (a layer of " << f.piece
                  << ") broke; the piece played on with its other layers: " << f.error << "\n";
    const double seconds = static_cast<double>(r.frames) / o.sample_rate;
    std::cout << "rendered " << format_clock(r.length) << " of session (" << r.frames
              << " frames written from " << format_clock(Ms{o.from_frame * 1000 / o.sample_rate})
              << ", " << o.channels << " channels at " << o.sample_rate << " Hz) in " << took
              << " s: " << (took > 0 ? seconds / took : 0) << "x real time; peak " << r.peak
              << ", underruns " << r.underruns;
    if (o.gain_db != 0) std::cout << "; written with " << o.gain_db << " dB rehearsal gain";
    std::cout << "\n";
    if (r.clipped > 0)
        std::cerr << "stillroom render: " << r.clipped
                  << " samples clipped by the rehearsal gain; lower --gain-db or use --normalize\n";
    return r.failures.empty() ? cli::kOk : cli::kBadInput;
}

} // namespace stillroom::app
