// stillroom render: the whole planned session to a WAV file (and light targets as JSON lines).
#include "app/commands.hpp"
#include "library/library.hpp"
#include "runtime/session_views.hpp"
#include "devices/audio_driver.hpp"
#include "engine/duration.hpp"
#include "playlists/render.hpp"

#include <chrono>
#include <fstream>
#include <iostream>

namespace stillroom::app {

namespace {

// Light targets for a scene change (the session's snapshot), one JSON object per light.
void write_light_targets(std::ostream& out, const Library& lib, const SetScene& s, Ms at) {
    for (const auto& j : scene_light_targets(lib, s.scene, s.lights, at, s.fade)) out << dump_json(j) << "\n";
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
    if (lights.is_open())
        o.on_effect = [&](const Effect& e) {
            if (const auto* s = std::get_if<SetScene>(&e.body)) write_light_targets(lights, lib, *s, e.at);
        };
    SteadyDeviceClock timer; // the render's own speed, in real time
    const DeviceTime started = timer.now();
    RenderResult r = render_session(*setup, o);
    const double took = to_seconds(timer.now() - started);
    if (!r.ok) {
        std::cerr << "stillroom render: " << r.error << "\n";
        return cli::kBadInput;
    }
    for (const auto& [file, why] : r.failures) std::cerr << "skipped " << file << ": " << why << "\n";
    const double seconds = static_cast<double>(r.frames) / o.sample_rate;
    std::cout << "rendered " << format_clock(r.length) << " of session (" << r.frames << " frames, "
              << o.channels << " channels at " << o.sample_rate << " Hz) in " << took << " s: "
              << (took > 0 ? seconds / took : 0) << "x real time; peak " << r.peak << ", underruns "
              << r.underruns << "\n";
    return r.failures.empty() ? cli::kOk : cli::kBadInput;
}

} // namespace stillroom::app
