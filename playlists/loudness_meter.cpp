// The EBU R128 meter: libebur128 for the integrated loudness, true_peak.hpp for the true
// peak; a file measured in one pass or in parts (loudness.hpp).
#include "playlists/audio_source.hpp"
#include "playlists/loudness.hpp"

#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace stillroom {

namespace fs = std::filesystem;

namespace {
ebur128_state* meter_state(void* p) {
    return static_cast<ebur128_state*>(p);
}
} // namespace

LoudnessMeter::LoudnessMeter(int channels, int sample_rate)
    : channels_(channels), sample_rate_(sample_rate), true_peak_(channels, sample_rate) {
    if (channels <= 0 || sample_rate <= 0) return;
    ebur128_state* st = ebur128_init(static_cast<unsigned>(channels),
                                     static_cast<unsigned long>(sample_rate), EBUR128_MODE_I);
    // A mono file plays on both sides of the room: measure it as it will be heard.
    if (st && channels == 1) ebur128_set_channel(st, 0, EBUR128_DUAL_MONO);
    state_ = st;
}

LoudnessMeter::~LoudnessMeter() {
    ebur128_state* st = meter_state(state_);
    if (st) ebur128_destroy(&st);
}

void LoudnessMeter::add(const float* interleaved, std::int64_t frames) {
    if (!state_ || frames <= 0) return;
    ebur128_add_frames_float(meter_state(state_), interleaved, static_cast<std::size_t>(frames));
    true_peak_.add(interleaved, frames);
    frames_ += frames;
}

void LoudnessMeter::lead_in(const float* interleaved, std::int64_t frames) {
    if (!state_ || frames <= 0) return;
    ebur128_add_frames_float(meter_state(state_), interleaved, static_cast<std::size_t>(frames));
    true_peak_.prime(interleaved, frames);
}

Loudness LoudnessMeter::combine(const std::vector<const LoudnessMeter*>& parts) {
    Loudness l;
    if (parts.empty()) return l;
    std::vector<ebur128_state*> states;
    double peak = 0;
    std::int64_t frames = 0;
    for (const LoudnessMeter* p : parts) {
        if (!p->state_) return l;
        states.push_back(meter_state(p->state_));
        peak = std::max(peak, p->true_peak_.peak());
        frames += p->frames_;
    }
    double v = 0;
    if (ebur128_loudness_global_multiple(states.data(), states.size(), &v) == EBUR128_SUCCESS &&
        std::isfinite(v))
        l.integrated_lufs = v;
    l.true_peak_dbtp = peak > 0 ? 20.0 * std::log10(peak) : -70;
    const LoudnessMeter& first = *parts.front();
    l.duration_s = static_cast<double>(frames) / first.sample_rate_;
    l.sample_rate = first.sample_rate_;
    l.channels = first.channels_;
    return l;
}

Loudness LoudnessMeter::result() const {
    Loudness l;
    if (!state_) return l;
    double v = 0;
    ebur128_state* st = meter_state(state_);
    if (ebur128_loudness_global(st, &v) == EBUR128_SUCCESS && std::isfinite(v))
        l.integrated_lufs = v;
    const double peak = true_peak_.peak();
    l.true_peak_dbtp = peak > 0 ? 20.0 * std::log10(peak) : -70;
    l.duration_s = static_cast<double>(frames_) / sample_rate_;
    l.sample_rate = sample_rate_;
    l.channels = channels_;
    return l;
}

std::int64_t loudness_step(int sample_rate) {
    return (static_cast<std::int64_t>(sample_rate) + 5) / 10;
}

std::int64_t loudness_lead_in(int sample_rate) {
    return 3 * loudness_step(sample_rate);
}

bool measure_part(AudioSource& file, std::int64_t from, std::int64_t to, LoudnessMeter& meter,
                  std::string* error, const std::atomic<bool>* cancel) {
    const int channels = file.info().channels;
    const std::int64_t start =
        std::max<std::int64_t>(0, from - loudness_lead_in(file.info().sample_rate));
    if (start > 0 && !file.seek(start)) {
        if (error) *error = "cannot seek to frame " + std::to_string(start) + ": " + file.error();
        return false;
    }
    constexpr std::int64_t kChunk = 8192;
    std::vector<float> buf(static_cast<std::size_t>(kChunk * channels));
    std::int64_t at = start;
    while (at < to) {
        if (cancel && cancel->load(std::memory_order_relaxed)) {
            if (error) *error = "measurement stopped";
            return false;
        }
        const std::int64_t want = std::min(kChunk, (at < from ? from : to) - at);
        const auto n = file.read(buf.data(), want);
        if (n <= 0) break;
        if (at < from)
            meter.lead_in(buf.data(), n);
        else
            meter.add(buf.data(), n);
        at += n;
    }
    if (at < to) {
        if (error)
            *error = "truncated: " + std::to_string(at) + " of " + std::to_string(to) + " frames";
        return false;
    }
    return true;
}

std::optional<Loudness> measure_loudness(const fs::path& file, std::string* error,
                                         const std::atomic<bool>* cancel) {
    auto f = open_audio(file, error);
    if (!f) return std::nullopt;
    const auto& info = f->info();
    if (too_long_to_measure(info.frames, info.sample_rate)) {
        if (error)
            *error =
                "longer than " + std::to_string(kMaxMeasuredSeconds / 3600) + " h: not measured";
        return std::nullopt;
    }
    LoudnessMeter meter(info.channels, info.sample_rate);
    if (!meter.ok()) {
        if (error) *error = "cannot start the loudness meter";
        return std::nullopt;
    }
    if (!measure_part(*f, 0, info.frames, meter, error, cancel)) return std::nullopt;
    return meter.result();
}

} // namespace stillroom
