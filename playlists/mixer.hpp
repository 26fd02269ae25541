// The mixer: runs inside the audio callback. Crossfades music voices (equal power), plays
// one-shot sounds over them, applies the session volume (S-curve ramps in dB), limits to
// a ceiling, and maps the stereo bus to the room's output groups, each with its own gain
// (changed live by a ramp, never a step).
//
// Real-time contract (STYLE.md habit 4): process() never allocates, locks, logs, does I/O
// or loops without bound. Commands arrive through `to_audio` stamped with a mixer frame, so
// they take effect on that exact sample; finished voices leave through `from_audio` to be
// freed on a control thread.
#pragma once

#include "playlists/limiter.hpp"
#include "playlists/spsc_queue.hpp"
#include "playlists/voice.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace stillroom {

struct OutputGroupMap {
    std::vector<int> channels; // 0-based device channels
    float gain = 1;            // linear
};

struct MixerConfig {
    int sample_rate = 48000;
    int device_channels = 2;
    std::vector<OutputGroupMap> groups; // empty: stereo on channels 0 and 1
    double max_volume_db = -6;          // the session volume never exceeds this
    double ceiling_dbfs = -1;           // the limiter's ceiling on the bus
    int max_block_frames = 8192;
};

struct MixerCommand {
    enum class Kind : std::uint8_t {
        StartVoice,
        StopMusic,
        SetVolume,
        StopAll,
        SetGroupGain,
        SetDepth
    };
    Kind kind = Kind::StartVoice;
    std::int64_t at = 0;    // mixer frame at which it takes effect
    Voice* voice = nullptr; // StartVoice
    std::int64_t fade = 0;  // frames: crossfade, fade-out or ramp length
    float db = 0;           // SetVolume, SetGroupGain target
    int group = 0;          // SetGroupGain: index into MixerConfig::groups
    float depth = 0;        // SetDepth target, 0..1 (ramped along an S-curve over `fade`)
};

class Mixer {
public:
    static constexpr int kMaxVoices = 32;
    static constexpr std::int64_t kMinFade = 480; // 10 ms at 48 kHz: nothing ever steps
    // A broken layer leaves its piece over at most this (less when its ring holds less).
    static constexpr std::int64_t kLayerLossFadeMs = 500;

    // Allocates everything. Runs on: a control thread.
    explicit Mixer(MixerConfig config);

    // Runs on: the control thread. False when the queue is full (try again later).
    bool post(const MixerCommand& command) { return to_audio_.try_push(command); }
    // Runs on: the control thread. A voice the audio thread is done with, or nullptr.
    Voice* take_retired();

    // Fills `frames` frames of interleaved device audio. Runs on: the audio thread.
    void process(float* out, int frames);

    // Frames rendered so far (the mixer's clock). Runs on: any thread.
    std::int64_t frame() const { return frame_.load(std::memory_order_acquire); }
    // Times a playing voice had no data ready. Runs on: any thread.
    std::uint64_t underruns() const { return underruns_.load(); }
    const MixerConfig& config() const { return config_; }
    // Output lags the commands by the limiter's look-ahead, a fixed number of frames.
    static constexpr int latency_frames() { return Limiter::kLookahead; }
    // The session volume now, in dB. Runs on: any thread (approximate).
    float volume_db() const { return volume_now_db_.load(); }
    // The depth target, as of the last block. Runs on: any thread.
    float depth() const { return depth_now_.load(); }
    // An output group's gain target in dB (-90 for silence), as of the last block; NaN for
    // no such group. Runs on: any thread.
    float group_gain_db(int group) const;
    int group_count() const { return static_cast<int>(group_channels_.size()); }

private:
    void pull_commands();
    void apply(const MixerCommand& c);
    void render(float* out, std::int64_t first_frame, int offset, int n);
    float volume_gain(std::int64_t frame) const;
    // The session volume in dB at `frame`, along its current ramp.
    float volume_db_at(std::int64_t frame) const;
    // The session depth at `frame`, along its current ramp.
    float depth_at(std::int64_t frame) const;
    bool depth_steady(std::int64_t frame) const {
        return depth_length_ <= 0 || frame >= depth_start_ + depth_length_;
    }
    // Frames every layer of `piece` has ready (the layers are read in step).
    std::int64_t piece_readable(std::uint64_t piece) const;
    // The depth weight of layer `v` at `frame`, along a re-span glide if one is under way.
    float layer_gain(const Voice& v, std::int64_t frame) const;
    // Layer `lost` broke (its decoder failed): it fades out over what its ring still holds
    // (at most kLayerLossFadeMs), and the piece's other layers glide over the same frames to
    // the depth mapping of the layers left, so the piece plays on with nothing stepping.
    void lose_layer(Voice& lost, std::int64_t at);
    void retire(int index);
    // Fills group_gain_buf_ with group `g`'s gain for frames [first, first + n).
    void group_gains(std::size_t g, std::int64_t first, int n);

    // An output group's gain, ramped in dB along an S-curve (like the session volume).
    struct GroupRamp {
        float from_db = 0, to_db = 0;
        std::int64_t start = 0, length = 0;
        float db_at(std::int64_t frame) const;
        bool steady(std::int64_t frame) const { return length <= 0 || frame >= start + length; }
    };

    MixerConfig config_;
    std::vector<std::vector<int>> group_channels_;
    std::vector<GroupRamp> group_ramps_;
    std::vector<float> group_gain_buf_; // per-frame gains of the group being mapped
    std::unique_ptr<std::atomic<float>[]> group_target_db_;
    SpscQueue<MixerCommand, 256> to_audio_;
    SpscQueue<Voice*, 256> from_audio_;
    std::array<MixerCommand, 64> pending_{};
    int pending_count_ = 0;
    std::array<Voice*, kMaxVoices> voices_{};
    int voice_count_ = 0;
    std::array<Voice*, kMaxVoices> retiring_{}; // waiting for room in from_audio_
    int retiring_count_ = 0;
    std::vector<float> scratch_;
    std::vector<float> bus_;
    Limiter limiter_;
    float max_volume_db_;
    // Session volume ramp, in dB along an S-curve.
    float vol_from_db_ = -90, vol_to_db_ = -90;
    std::int64_t vol_start_ = 0, vol_length_ = 0;
    std::atomic<std::int64_t> frame_{0};
    std::atomic<std::uint64_t> underruns_{0};
    std::atomic<float> volume_now_db_{-90};
    // Session depth ramp (0..1) along an S-curve.
    float depth_from_ = 0, depth_to_ = 0;
    std::int64_t depth_start_ = 0, depth_length_ = 0;
    std::atomic<float> depth_now_{0};
};

float db_to_gain(double db);

} // namespace stillroom
