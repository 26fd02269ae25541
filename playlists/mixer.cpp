// The mixer. Everything below process() runs on the audio thread.
#include "playlists/mixer.hpp"

#include "engine/s_curve.hpp"

#include <algorithm>
#include <cmath>

namespace stillroom {

float db_to_gain(double db) {
    return db <= -90 ? 0.0f : static_cast<float>(std::pow(10.0, db / 20.0));
}

namespace {
float gain_to_db(float gain) {
    return gain <= 0.0f ? -90.0f : std::max(-90.0f, 20.0f * std::log10(gain));
}
float db_gain(float db) {
    return db <= -90.0f ? 0.0f : std::pow(10.0f, db / 20.0f);
}
} // namespace

float Mixer::GroupRamp::db_at(std::int64_t frame) const {
    if (steady(frame)) return to_db;
    if (frame <= start) return from_db;
    return along_s_curve(from_db, to_db,
                         static_cast<float>(frame - start) / static_cast<float>(length));
}

float Mixer::volume_db_at(std::int64_t frame) const {
    if (vol_length_ <= 0 || frame >= vol_start_ + vol_length_) return vol_to_db_;
    if (frame <= vol_start_) return vol_from_db_;
    return along_s_curve(vol_from_db_, vol_to_db_,
                         static_cast<float>(frame - vol_start_) / static_cast<float>(vol_length_));
}

float Mixer::depth_at(std::int64_t frame) const {
    if (depth_steady(frame)) return depth_to_;
    if (frame <= depth_start_) return depth_from_;
    return along_s_curve(depth_from_, depth_to_,
                         static_cast<float>(frame - depth_start_) /
                             static_cast<float>(depth_length_));
}

std::int64_t Mixer::piece_readable(std::uint64_t piece) const {
    std::int64_t ready = INT64_MAX;
    std::int64_t lost_ready = INT64_MAX;
    for (int i = 0; i < voice_count_; ++i) {
        const Voice* v = voices_[static_cast<std::size_t>(i)];
        if (v->piece != piece) continue;
        const std::int64_t r = v->ring.readable();
        // A broken layer (gliding out over what its ring holds) never holds the others back.
        if (v->layer_lost) {
            if (r > 0) lost_ready = std::min(lost_ready, r);
            continue;
        }
        // A layer that has ended (a file that broke) does not hold the others back.
        if (r == 0 && v->decoded_all.load(std::memory_order_acquire)) continue;
        ready = std::min(ready, r);
    }
    if (ready != INT64_MAX) return ready;
    // No layer plays on (the last one broke, or the ones left have ended): the broken layers
    // still glide out over what they hold, never cut off at a block's edge.
    return lost_ready == INT64_MAX ? 0 : lost_ready;
}

float Mixer::layer_gain(const Voice& v, std::int64_t frame) const {
    const float w =
        v.layer_lost ? 0.0f
                     : layer_weight(depth_at(frame), v.layer_below, v.layer_depth, v.layer_above);
    if (v.respan_length <= 0 || frame >= v.respan_start + v.respan_length) return w;
    if (frame <= v.respan_start) return v.respan_from;
    // The power moves linearly from the old mapping to the new: the layers are different
    // signals, so the piece's total power stays where it was (both mappings sum to one).
    const float y =
        static_cast<float>(frame - v.respan_start) / static_cast<float>(v.respan_length);
    return std::sqrt((1.0f - y) * v.respan_from * v.respan_from + y * w * w);
}

void Mixer::lose_layer(Voice& lost, std::int64_t at) {
    // Over what the broken layer's ring still holds: it is heard to the end of the glide.
    const std::int64_t fade = std::clamp<std::int64_t>(
        lost.ring.readable(), 1, kLayerLossFadeMs * config_.sample_rate / 1000);
    lost.respan_from = layer_gain(lost, at);
    lost.layer_lost = true; // its weight goes to 0
    lost.respan_start = at;
    lost.respan_length = fade;
    for (int i = 0; i < voice_count_; ++i) {
        Voice* v = voices_[static_cast<std::size_t>(i)];
        if (v == &lost || v->piece != lost.piece || v->layer_lost) continue;
        // Its neighbours among the layers still playing (none: it holds on that side).
        float below = -1.0f, above = 2.0f;
        for (int j = 0; j < voice_count_; ++j) {
            const Voice* o = voices_[static_cast<std::size_t>(j)];
            if (o == v || o->piece != v->piece || o->layer_lost) continue;
            if (o->layer_depth < v->layer_depth) below = std::max(below, o->layer_depth);
            if (o->layer_depth > v->layer_depth) above = std::min(above, o->layer_depth);
        }
        v->respan_from = layer_gain(*v, at);
        v->layer_below = below;
        v->layer_above = above;
        v->respan_start = at;
        v->respan_length = fade;
    }
}

Mixer::Mixer(MixerConfig config) : config_(std::move(config)) {
    if (config_.groups.empty()) config_.groups.push_back({{0, 1}, 1.0f});
    for (const auto& g : config_.groups) {
        std::vector<int> channels;
        for (int c : g.channels)
            if (c >= 0 && c < config_.device_channels) channels.push_back(c);
        group_channels_.push_back(channels);
        const float db = gain_to_db(g.gain);
        group_ramps_.push_back({db, db, 0, 0});
    }
    group_target_db_ = std::make_unique<std::atomic<float>[]>(group_ramps_.size());
    for (std::size_t g = 0; g < group_ramps_.size(); ++g)
        group_target_db_[g].store(group_ramps_[g].to_db);
    group_gain_buf_.assign(static_cast<std::size_t>(config_.max_block_frames), 0.0f);
    scratch_.assign(static_cast<std::size_t>(config_.max_block_frames) * 2, 0.0f);
    bus_.assign(static_cast<std::size_t>(config_.max_block_frames) * 2, 0.0f);
    limiter_.prepare(config_.sample_rate, db_to_gain(config_.ceiling_dbfs));
    max_volume_db_ = static_cast<float>(config_.max_volume_db);
}

float Mixer::group_gain_db(int group) const {
    if (group < 0 || group >= group_count()) return std::nanf("");
    return group_target_db_[static_cast<std::size_t>(group)].load(std::memory_order_relaxed);
}

Voice* Mixer::take_retired() {
    Voice* v = nullptr;
    return from_audio_.try_pop(v) ? v : nullptr;
}

float Mixer::volume_gain(std::int64_t frame) const {
    const float db = volume_db_at(frame);
    // from and to were held under the room's ceiling when the command arrived (below), and
    // the S-curve between them never leaves [from, to]: the one place the ceiling is applied.
    return db <= -90.0f ? 0.0f : std::pow(10.0f, db / 20.0f);
}

void Mixer::pull_commands() {
    MixerCommand c;
    while (pending_count_ < static_cast<int>(pending_.size()) && to_audio_.try_pop(c))
        pending_[static_cast<std::size_t>(pending_count_++)] = c;
}

void Mixer::retire(int index) {
    Voice* v = voices_[static_cast<std::size_t>(index)];
    voices_[static_cast<std::size_t>(index)] = voices_[static_cast<std::size_t>(voice_count_ - 1)];
    --voice_count_;
    v->retired.store(true, std::memory_order_release);
    if (!from_audio_.try_push(v) && retiring_count_ < kMaxVoices)
        retiring_[static_cast<std::size_t>(retiring_count_++)] = v;
}

void Mixer::apply(const MixerCommand& c) {
    const std::int64_t fade = std::max(c.fade, kMinFade);
    switch (c.kind) {
    case MixerCommand::Kind::StartVoice: {
        Voice* v = c.voice;
        if (!v) return;
        if (v->music) {
            // Equal-power crossfade: every music voice fades out as the new one fades in.
            // The layers of one piece start together: they never fade each other out.
            for (int i = 0; i < voice_count_; ++i) {
                Voice* old = voices_[static_cast<std::size_t>(i)];
                if (!old->music || (v->piece != 0 && old->piece == v->piece)) continue;
                old->envelope = {old->envelope.at(c.at), 0.0f, c.at, fade};
            }
        }
        // Music fades in; a one-shot sound starts exactly as authored, on its first sample.
        v->envelope = {0.0f, 1.0f, c.at, v->music ? fade : 0};
        if (voice_count_ < kMaxVoices) {
            voices_[static_cast<std::size_t>(voice_count_++)] = v;
        } else {
            v->retired.store(true);
            from_audio_.try_push(v); // no room: hand it straight back
        }
        break;
    }
    case MixerCommand::Kind::StopMusic:
    case MixerCommand::Kind::StopAll:
        for (int i = 0; i < voice_count_; ++i) {
            Voice* v = voices_[static_cast<std::size_t>(i)];
            if (!v->music && c.kind == MixerCommand::Kind::StopMusic) continue;
            v->envelope = {v->envelope.at(c.at), 0.0f, c.at, fade};
        }
        break;
    case MixerCommand::Kind::SetVolume: {
        // Continue from wherever the current ramp is.
        const float now_db = volume_db_at(c.at);
        vol_from_db_ = std::min(now_db, max_volume_db_);
        vol_to_db_ = std::min(c.db, max_volume_db_);
        vol_start_ = c.at;
        vol_length_ = fade;
        break;
    }
    case MixerCommand::Kind::SetDepth: {
        // From wherever the depth is now: the layers cross over along an S-curve.
        depth_from_ = depth_at(c.at);
        depth_to_ = std::clamp(c.depth, 0.0f, 1.0f);
        depth_start_ = c.at;
        depth_length_ = fade;
        break;
    }
    case MixerCommand::Kind::SetGroupGain: {
        if (c.group < 0 || c.group >= group_count()) return;
        // From wherever the group's gain is now, to the new target: a ramp, never a step.
        GroupRamp& r = group_ramps_[static_cast<std::size_t>(c.group)];
        r = {r.db_at(c.at), std::max(c.db, -90.0f), c.at, fade};
        group_target_db_[static_cast<std::size_t>(c.group)].store(r.to_db,
                                                                  std::memory_order_relaxed);
        break;
    }
    }
}

void Mixer::process(float* out, int frames) {
    // Runs on: the audio thread.
    const std::int64_t base = frame_.load(std::memory_order_relaxed);
    std::fill(out, out + static_cast<std::ptrdiff_t>(frames) * config_.device_channels, 0.0f);
    while (retiring_count_ > 0 &&
           from_audio_.try_push(retiring_[static_cast<std::size_t>(retiring_count_ - 1)]))
        --retiring_count_;
    pull_commands();
    int pos = 0;
    while (pos < frames) {
        const std::int64_t now = base + pos;
        // Apply everything due now (or late), in the order posted (a start and a stop on the
        // same frame must not swap); find the next command inside this block.
        std::int64_t next = base + frames;
        int kept = 0;
        for (int i = 0; i < pending_count_; ++i) {
            const MixerCommand& c = pending_[static_cast<std::size_t>(i)];
            if (c.at <= now) {
                apply(c);
            } else {
                next = std::min(next, c.at);
                pending_[static_cast<std::size_t>(kept++)] = c;
            }
        }
        pending_count_ = kept;
        const int n =
            static_cast<int>(std::min<std::int64_t>(next - now, config_.max_block_frames));
        render(out, now, pos, n);
        pos += n;
    }
    volume_now_db_.store(vol_to_db_, std::memory_order_relaxed);
    depth_now_.store(depth_to_, std::memory_order_relaxed);
    frame_.store(base + frames, std::memory_order_release);
}

void Mixer::render(float* out, std::int64_t first, int offset, int n) {
    float* bus = bus_.data();
    std::fill(bus, bus + 2 * n, 0.0f);
    float* tmp = scratch_.data();
    const bool volume_steady = vol_length_ <= 0 || first >= vol_start_ + vol_length_;
    const float volume_steady_gain = volume_gain(first);
    // A layer that broke: the piece plays on with the layers left (before any voice of this
    // block is mixed, so every layer of the piece glides from the same frame).
    for (int vi = 0; vi < voice_count_; ++vi) {
        Voice* v = voices_[static_cast<std::size_t>(vi)];
        if (v->piece != 0 && !v->layer_lost && v->failed.load(std::memory_order_acquire))
            lose_layer(*v, first);
    }
    for (int vi = 0; vi < voice_count_;) {
        Voice* v = voices_[static_cast<std::size_t>(vi)];
        // The layers of a piece are read in step: as far as all of them have audio ready.
        const std::int64_t want =
            v->piece != 0 ? std::min<std::int64_t>(n, piece_readable(v->piece)) : n;
        const std::int64_t got = v->ring.read(tmp, want);
        if (got < n && !v->decoded_all.load(std::memory_order_acquire)) underruns_.fetch_add(1);
        const bool layer = v->piece != 0;
        auto weight = [&](std::int64_t f) { return layer ? layer_gain(*v, f) : 1.0f; };
        const bool respan_done =
            v->respan_length <= 0 || first >= v->respan_start + v->respan_length;
        if (v->envelope.done(first) && (!v->follows_volume || volume_steady) &&
            (!layer || (depth_steady(first) && respan_done))) {
            // The common case: a constant gain over the whole block.
            const float g = v->envelope.to * v->gain * weight(first) *
                            (v->follows_volume ? volume_steady_gain : 1.0f);
            for (std::int64_t i = 0; i < 2 * got; ++i)
                bus[i] += tmp[i] * g;
        } else {
            // A fade or a ramp: exact gains every 16 frames, linear in between (smooth, and
            // 16 times fewer sin/asin/pow calls).
            constexpr std::int64_t kStep = 16;
            auto gain_at = [&](std::int64_t f) {
                float g = v->envelope.at(f) * v->gain * weight(f);
                if (v->follows_volume) g *= volume_steady ? volume_steady_gain : volume_gain(f);
                return g;
            };
            float g0 = gain_at(first);
            for (std::int64_t s = 0; s < got; s += kStep) {
                const std::int64_t len = std::min(kStep, got - s);
                const float g1 = gain_at(first + s + len);
                const float dg = (g1 - g0) / static_cast<float>(len);
                for (std::int64_t i = 0; i < len; ++i) {
                    const float g = g0 + dg * static_cast<float>(i);
                    bus[2 * (s + i)] += tmp[2 * (s + i)] * g;
                    bus[2 * (s + i) + 1] += tmp[2 * (s + i) + 1] * g;
                }
                g0 = g1;
            }
        }
        const bool drained =
            got < n && v->decoded_all.load(std::memory_order_acquire) && v->ring.readable() == 0;
        const bool silent = v->envelope.to == 0.0f && v->envelope.done(first + n);
        if (drained || silent) {
            retire(vi);
            continue;
        }
        ++vi;
    }
    limiter_.process_block(bus, n);
    const int channels = config_.device_channels;
    for (std::size_t g = 0; g < group_channels_.size(); ++g) {
        const auto& chans = group_channels_[g];
        if (chans.empty()) continue;
        group_gains(g, first, n);
        const float* gain = group_gain_buf_.data();
        float* base = out + static_cast<std::ptrdiff_t>(offset) * channels;
        if (chans.size() == 2) {
            const int l = chans[0], r = chans[1];
            for (int i = 0; i < n; ++i) {
                base[i * channels + l] += bus[2 * i] * gain[i];
                base[i * channels + r] += bus[2 * i + 1] * gain[i];
            }
        } else if (chans.size() == 1) {
            const int c0 = chans[0];
            for (int i = 0; i < n; ++i)
                base[i * channels + c0] += 0.5f * (bus[2 * i] + bus[2 * i + 1]) * gain[i];
        } else {
            for (int i = 0; i < n; ++i)
                for (std::size_t c = 0; c < chans.size(); ++c)
                    base[i * channels + chans[c]] += bus[2 * i + (c % 2)] * gain[i];
        }
    }
}

void Mixer::group_gains(std::size_t g, std::int64_t first, int n) {
    // Runs on: the audio thread. A steady group is one constant; a ramp is exact every 16
    // frames and linear in between (as the voices' fades are).
    const GroupRamp& r = group_ramps_[g];
    float* out = group_gain_buf_.data();
    if (r.steady(first)) {
        std::fill(out, out + n, db_gain(r.to_db));
        return;
    }
    constexpr int kStep = 16;
    float g0 = db_gain(r.db_at(first));
    for (int s = 0; s < n; s += kStep) {
        const int len = std::min(kStep, n - s);
        const float g1 = db_gain(r.db_at(first + s + len));
        const float dg = (g1 - g0) / static_cast<float>(len);
        for (int i = 0; i < len; ++i)
            out[s + i] = g0 + dg * static_cast<float>(i);
        g0 = g1;
    }
}

} // namespace stillroom
