// The one RAII wrapper of libsoxr: stereo float sample-rate conversion, streamed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace stillroom {

class Resampler {
public:
    // From `input_rate` to `output_rate` Hz. nullptr with *error on failure. Allocates its
    // filters here; processing a stream of blocks of a steady size allocates nothing once
    // the first few blocks (up to 4 of 4096 frames) have sized libsoxr's FIFOs, which the
    // prefill does on the control thread before the decoder thread takes the voice.
    static std::unique_ptr<Resampler> create(int input_rate, int output_rate, std::string* error);
    ~Resampler();
    Resampler(const Resampler&) = delete;
    Resampler& operator=(const Resampler&) = delete;

    // Converts interleaved stereo: takes up to `in_frames` (`used` says how many) and writes
    // up to `out_capacity` frames (`generated`). The output lags the input by the filter's
    // length; `flush` delivers the tail. Returns false on error. Runs on: the decoder thread, the
    // audio loader thread (a voice's first second) or the offline renderer's thread.
    bool process(const float* in, std::int64_t in_frames, float* out, std::int64_t out_capacity,
                 std::int64_t& used, std::int64_t& generated);
    // After the last input: writes what is still inside the filter. Call until it generates
    // 0 frames; the total output is then the input length times the ratio, rounded.
    bool flush(float* out, std::int64_t out_capacity, std::int64_t& generated);
    // Output frames per input frame.
    double ratio() const { return ratio_; }

private:
    Resampler() = default;
    void* state_ = nullptr; // soxr_t
    double ratio_ = 1;
};

} // namespace stillroom
