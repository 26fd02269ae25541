// The one RAII wrapper of libsamplerate: stereo float sample-rate conversion.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace stillroom {

class Resampler {
public:
    // ratio = output rate / input rate. nullptr with *error on failure.
    static std::unique_ptr<Resampler> create(double ratio, std::string* error);
    ~Resampler();
    Resampler(const Resampler&) = delete;
    Resampler& operator=(const Resampler&) = delete;

    // Converts interleaved stereo. Returns false on error. Runs on: the decoder thread.
    bool process(const float* in, std::int64_t in_frames, float* out, std::int64_t out_capacity,
                 bool end_of_input, std::int64_t& used, std::int64_t& generated);
    double ratio() const { return ratio_; }

private:
    Resampler() = default;
    void* state_ = nullptr; // SRC_STATE*
    double ratio_ = 1;
};

} // namespace stillroom
