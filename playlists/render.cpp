// Offline render.
#include "playlists/render.hpp"

#include "playlists/audio_engine.hpp"

#include <algorithm>
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
        out = SndFile::open_write(o.out_wav, o.sample_rate, o.channels, o.format, &result.error);
        if (!out) {
            result.error = o.out_wav.string() + ": " + result.error;
            return result;
        }
    }
    std::vector<float> block(static_cast<std::size_t>(config.max_block_frames * o.channels));
    std::vector<float> gained(block.size());
    const float gain = db_to_gain(o.gain_db);
    const std::int64_t from = std::max<std::int64_t>(0, o.from_frame);
    const bool bounded = o.to_frame >= 0;
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
    std::int64_t written = 0;       // frames inside the window
    std::int64_t session_frame = 0; // session frames rendered (after the look-ahead)
    auto window_done = [&] { return bounded && session_frame >= o.to_frame; };
    auto render_until = [&](std::int64_t frame) -> std::optional<Ms> {
        while (mixer.frame() < frame && !window_done()) {
            const int n = static_cast<int>(
                std::min<std::int64_t>(config.max_block_frames, frame - mixer.frame()));
            audio.service();
            mixer.process(block.data(), n);
            const int dropped = static_cast<int>(std::min<std::int64_t>(skip, n));
            skip -= dropped;
            const float* data = block.data() + static_cast<std::ptrdiff_t>(dropped) * o.channels;
            const int kept = n - dropped;
            if (o.on_audio && kept > 0) o.on_audio(data, kept, session_frame);
            // The part of this block inside the window [from, to).
            const std::int64_t lo = std::max(session_frame, from);
            const std::int64_t hi =
                bounded ? std::min(session_frame + kept, o.to_frame) : session_frame + kept;
            if (hi > lo) {
                const float* w = data + (lo - session_frame) * o.channels;
                const auto count = static_cast<std::size_t>((hi - lo) * o.channels);
                for (std::size_t i = 0; i < count; ++i)
                    result.peak = std::max(result.peak, std::fabs(w[i]));
                if (out) {
                    if (gain != 1.0f) {
                        for (std::size_t i = 0; i < count; ++i) {
                            const float v = w[i] * gain;
                            if (std::fabs(v) > 1.0f) ++result.clipped;
                            gained[i] = std::clamp(v, -1.0f, 1.0f);
                        }
                        w = gained.data();
                    }
                    out->write(w, hi - lo);
                }
                written += hi - lo;
            }
            session_frame += kept;
            audio.collect();
            for (auto& f : audio.take_layer_faults())
                result.layer_faults.push_back(std::move(f));
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
    while (!sim.finished() && !window_done()) {
        const auto stop = sim.next_stop();
        if (!stop) break;
        if (render_until(frame_of(*stop))) continue; // a failure moved things: re-plan
        deliver(sim.run_to(*stop));
    }
    // Let the final fade finish, plus a short tail and the look-ahead.
    render_until(mixer.frame() + o.sample_rate / 2 + Mixer::latency_frames());
    while (!window_done() && audio.live_voices() > 0 &&
           mixer.frame() < frame_of(sim.session().now()) + 60LL * o.sample_rate)
        render_until(mixer.frame() + o.block_frames);
    result.length = sim.session().now();
    result.frames = written;
    result.underruns = mixer.underruns();
    result.ok = true;
    return result;
}

} // namespace stillroom
