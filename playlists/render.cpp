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
        out = SndFile::open_write(o.out_wav, o.sample_rate, o.channels, AudioFormat::WavFloat, &result.error);
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
    // The limiter delays the output by a fixed look-ahead; drop that much from the start so
    // the file's sample N is the session's sample N.
    std::int64_t skip = Mixer::latency_frames();
    std::int64_t written = 0;
    auto render_until = [&](std::int64_t frame) -> std::optional<Ms> {
        while (mixer.frame() < frame) {
            const int n = static_cast<int>(std::min<std::int64_t>(config.max_block_frames, frame - mixer.frame()));
            audio.service();
            mixer.process(block.data(), n);
            const int dropped = static_cast<int>(std::min<std::int64_t>(skip, n));
            skip -= dropped;
            const float* data = block.data() + static_cast<std::ptrdiff_t>(dropped) * o.channels;
            const int kept = n - dropped;
            for (int i = 0; i < kept * o.channels; ++i) result.peak = std::max(result.peak, std::fabs(data[i]));
            if (out && kept > 0) out->write(data, kept);
            if (o.on_audio && kept > 0) o.on_audio(data, kept, written);
            written += kept;
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
    // Let the final fade finish, plus a short tail and the look-ahead.
    render_until(mixer.frame() + o.sample_rate / 2 + Mixer::latency_frames());
    while (audio.live_voices() > 0 && mixer.frame() < frame_of(sim.session().now()) + 60LL * o.sample_rate)
        render_until(mixer.frame() + o.block_frames);
    result.length = sim.session().now();
    result.frames = written;
    result.underruns = mixer.underruns();
    result.ok = true;
    return result;
}

} // namespace stillroom
