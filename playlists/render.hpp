// Offline render: the whole planned session through the same engine, timeline and mixer
// as live, as fast as the machine allows. Writes a WAV (or nothing, for benchmarks).
#pragma once

#include "engine/plan.hpp"
#include "playlists/mixer.hpp"

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
    std::filesystem::path out_wav;      // empty: render without writing (benchmarks)
    int block_frames = 1024;
    std::function<void(const Effect&)> on_effect; // sees every effect (lights, reports)
    // Sees every rendered block of interleaved device audio (tests).
    std::function<void(const float*, int frames, std::int64_t first_frame)> on_audio;
};

struct RenderResult {
    bool ok = false;
    std::string error;
    Ms length{0};
    std::int64_t frames = 0;
    std::uint64_t underruns = 0;
    float peak = 0; // the largest absolute sample written
    std::vector<std::pair<std::string, std::string>> failures; // file, why
};

RenderResult render_session(const SessionSetup& setup, const RenderOptions& options);

} // namespace stillroom
