// Offline render.
#include "playlists/render.hpp"

#include "playlists/audio_engine.hpp"
#include "playlists/sndfile.hpp"

#include <cmath>

namespace stillroom {

RenderResult render_session(const SessionSetup& setup, const RenderOptions& o) {
    RenderResult result;
    MixerConfig config;
    config.sample_rate = o.sample_rate;
    config.device_channels = o.channels;
    config.groups = o.groups;
    config.max_volume_db = o.max_volume_db;
    config.max_block_frames = std::max(o.block_frames, 64);
    Mixer mixer(config);
    AudioEngine audio({o.library_dir, 4, 1}, mixer, nullptr);
    std::unique_ptr<SndFile> out;
    if (!o.out_wav.empty()) {
        out = SndFile::open_write(o.out_wav, o.sample_rate, o.channels, false, &result.error);
        if (!out) {
            result.error = o.out_wav.string() + ": " + result.error;
            return result;
        }
    }
    std::vector<float> block(static_cast<std::size_t>(config.max_block_frames * o.channels));
    const auto frame_of = [&](Ms t) { return t.count() * o.sample_rate / 1000; };

    Simulation sim(setup);
    auto deliver = [&](const Effects& effects) {
        for (const auto& e : effects) {
            audio.handle(e, frame_of(e.at));
            if (o.on_effect) o.on_effect(e);
        }
    };
    // Renders audio up to `frame`; stops early (returning the session time) if a file fails,
    // so the engine can move on at that moment, as it would live.
    auto render_until = [&](std::int64_t frame) -> std::optional<Ms> {
        while (mixer.frame() < frame) {
            const int n = static_cast<int>(std::min<std::int64_t>(config.max_block_frames, frame - mixer.frame()));
            audio.service();
            const std::int64_t first = mixer.frame();
            mixer.process(block.data(), n);
            for (int i = 0; i < n * o.channels; ++i) result.peak = std::max(result.peak, std::fabs(block[static_cast<std::size_t>(i)]));
            if (out) out->write(block.data(), n);
            if (o.on_audio) o.on_audio(block.data(), n, first);
            audio.collect();
            auto failures = audio.take_failures();
            if (!failures.empty()) {
                result.failures.insert(result.failures.end(), failures.begin(), failures.end());
                const Ms at{mixer.frame() * 1000 / o.sample_rate};
                for (const auto& [file, why] : failures) {
                    Command c;
                    c.kind = CommandKind::TrackFailed;
                    c.file = file;
                    deliver(sim.apply(c, at).effects);
                }
                return at;
            }
        }
        return std::nullopt;
    };

    deliver(sim.start());
    while (!sim.finished()) {
        const auto stop = sim.next_stop();
        if (!stop) break;
        if (render_until(frame_of(*stop))) continue; // a failure moved things: re-plan
        deliver(sim.run_to(*stop));
    }
    // Let the final fade finish, plus a short tail.
    render_until(mixer.frame() + o.sample_rate / 2);
    while (audio.live_voices() > 0 && mixer.frame() < frame_of(sim.session().now()) + 60LL * o.sample_rate)
        render_until(mixer.frame() + o.block_frames);
    result.length = sim.session().now();
    result.frames = mixer.frame();
    result.underruns = mixer.underruns();
    result.ok = true;
    return result;
}

} // namespace stillroom
