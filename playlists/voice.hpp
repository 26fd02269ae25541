// A voice: one playing instance of one audio file (a track or a one-shot sound).
// Created and prefilled on the audio driver's loader thread (or the renderer's), filled ahead
// by the decoder thread, played by the audio thread, retired back to a control thread (the
// driver's maintenance thread) to be freed. Each member says which thread owns it.
#pragma once

#include "playlists/audio_ring.hpp"
#include "playlists/audio_source.hpp"
#include "playlists/resampler.hpp"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace stillroom {

// An equal-power gain envelope: interpolates the angle, so a full fade in is sin(pi/2 x)
// and a full fade out cos(pi/2 x); a fade that starts mid-way continues smoothly.
struct Envelope {
    float from = 0;
    float to = 0;
    std::int64_t start = 0;  // mixer frame
    std::int64_t length = 0; // frames; 0 = step (only used for silence -> silence)

    // Runs on: the audio thread. Real-time safe.
    float at(std::int64_t frame) const {
        if (length <= 0 || frame >= start + length) return to;
        if (frame <= start) return from;
        const double x = static_cast<double>(frame - start) / static_cast<double>(length);
        const double a = std::asin(std::clamp(static_cast<double>(from), 0.0, 1.0));
        const double b = std::asin(std::clamp(static_cast<double>(to), 0.0, 1.0));
        return static_cast<float>(std::sin(a + (b - a) * x));
    }
    bool done(std::int64_t frame) const { return length <= 0 || frame >= start + length; }
};

// The gain of a layer at `depth` (docs/audio.md "Depth"): 1 at its own depth, equal-power
// (sin/cos) toward its neighbours below and above, 0 beyond them; the lightest layer holds
// below its depth and the deepest above it. `below` < 0 and `above` > 1 mean no neighbour.
// Runs on: the audio thread. Real-time safe.
inline float layer_weight(float depth, float below, float at, float above) {
    constexpr float kQuarter = 1.57079632679f; // pi / 2
    if (depth == at) return 1.0f;
    if (depth < at) {
        if (below < 0.0f) return 1.0f;
        if (depth <= below) return 0.0f;
        return std::sin(kQuarter * (depth - below) / (at - below));
    }
    if (above > 1.0f) return 1.0f;
    if (depth >= above) return 0.0f;
    return std::cos(kQuarter * (depth - at) / (above - at));
}

struct Voice {
    // --- set on creation (control thread), read-only afterwards ---
    std::string file;                    // library-relative, for reports
    std::filesystem::path path;          // absolute
    std::int64_t start_ms = 0;           // where decoding begins in the file
    std::int64_t start_source_frame = 0; // the same, in source frames (set by open_voice)
    std::int64_t length_frames = -1;     // device-rate frames to play; -1 = to the end of the file
    float gain = 1;                      // linear: loudness normalisation and track gain
    bool music = true;                   // music (crossfaded, session volume) or a one-shot sound
    bool follows_volume = true;          // scaled by the session volume (music, cue sounds)
    int device_rate = 48000;
    // A layer of a piece in layers: the piece's serial (0: not a layer; the layers of one
    // piece share it, start on one frame and are read in step), its depth and its
    // neighbours' (layer_weight()). The neighbours are the audio thread's once the voice
    // starts: when a layer breaks, the mixer re-spans the others over the layers left.
    std::uint64_t piece = 0;
    float layer_depth = 0, layer_below = -1, layer_above = 2;
    std::string piece_file; // the piece's track file (its lightest layer): what a failure names
    // Control thread, until start: the piece's other layers, loaded with this one.
    std::vector<std::shared_ptr<Voice>> other_layers;
    AudioRing ring;

    // --- decoder thread (or the control thread before hand-over) ---
    std::unique_ptr<AudioSource> source; // libsndfile or FFmpeg
    std::unique_ptr<Resampler> resampler;
    std::int64_t decoded_frames = 0;  // device-rate frames written to the ring
    std::int64_t source_expected = 0; // source frames the file should still deliver
    bool input_done = false;          // the file is read; the resampler's tail is being flushed
    std::vector<float> src_buffer, stereo_buffer, out_buffer;
    std::string error;     // written before `failed` is set
    bool reported = false; // control thread: the failure has been reported

    // --- shared ---
    std::atomic<bool> decoded_all{false}; // the decoder has written everything it will
    std::atomic<bool> failed{false};      // missing, unreadable or truncated
    std::atomic<bool> retired{false};     // the audio thread is done with it

    // --- audio thread ---
    Envelope envelope;
    // A piece that lost a layer (Mixer::lose_layer): the broken layer glides to silence over
    // what its ring still holds (`layer_lost`), each other layer from its weight then
    // (`respan_from`) to its weight over the layers left, over the same frames.
    bool layer_lost = false;
    float respan_from = 0;
    std::int64_t respan_start = 0, respan_length = 0; // mixer frames; 0: no glide under way

    explicit Voice(std::int64_t ring_frames) : ring(ring_frames) {}
};

} // namespace stillroom
