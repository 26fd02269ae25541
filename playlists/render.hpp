// Offline render: the whole planned session through the same engine, timeline and mixer
// as live, as fast as the machine allows. Writes FLAC or WAV (or nothing, for benchmarks),
// optionally only a window [from, to) of the session, with a rehearsal gain.
#pragma once

#include "engine/plan.hpp"
#include "playlists/audio_engine.hpp"
#include "playlists/mixer.hpp"
#include "playlists/sndfile.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace stillroom {

struct RenderOptions {
    std::filesystem::path library_dir;
    int sample_rate = 48000;
    int channels = 2;
    std::vector<OutputGroupMap> groups; // empty: stereo
    double max_volume_db = -6;
    std::filesystem::path out_wav; // empty: render without writing (benchmarks)
    AudioFormat format = AudioFormat::WavFloat;
    // The window written, in session frames: sample N of the file is sample from_frame + N
    // of the session. to_frame < 0: to the end (the last fade and its tail).
    std::int64_t from_frame = 0;
    std::int64_t to_frame = -1;
    // Rehearsal gain applied to what is written (never to what on_audio sees); samples past
    // full scale are clipped there and counted in RenderResult::clipped.
    double gain_db = 0;
    int block_frames = 1024;
    std::function<void(const Effect&)> on_effect; // sees every effect (lights, reports)
    // Sees every rendered block of interleaved device audio (tests).
    std::function<void(const float*, int frames, std::int64_t first_frame)> on_audio;
};

struct RenderResult {
    bool ok = false;
    std::string error;
    Ms length{0};
    std::int64_t frames = 0; // frames written (in the window)
    std::uint64_t underruns = 0;
    float peak = 0; // the largest absolute sample in the window, before the rehearsal gain
    std::int64_t clipped = 0; // samples the rehearsal gain pushed past full scale
    std::vector<std::pair<std::string, std::string>> failures; // file, why
    // Layers that broke mid-piece while their piece played on with the others (a library
    // fault: the render goes on; `stillroom render` names them).
    std::vector<AudioEngine::LayerFault> layer_faults;
};

RenderResult render_session(const SessionSetup& setup, const RenderOptions& options);

} // namespace stillroom
