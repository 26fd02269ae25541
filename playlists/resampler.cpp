// libsoxr, wrapped once. The recipe is SOXR_HQ (20-bit precision, linear phase, 0.913 of
// Nyquist kept): libsoxr's default and sox's `rate` default, the quality MPD's soxr
// resampler uses by default too. One thread per resampler (the decoder thread's).
#include "playlists/resampler.hpp"

#include <soxr.h>

namespace stillroom {

std::unique_ptr<Resampler> Resampler::create(int input_rate, int output_rate, std::string* error) {
    if (input_rate <= 0 || output_rate <= 0) {
        if (error)
            *error = "invalid rates " + std::to_string(input_rate) + " -> " +
                     std::to_string(output_rate);
        return nullptr;
    }
    soxr_error_t err = nullptr;
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
    const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
    soxr_t state = soxr_create(input_rate, output_rate, 2, &err, &io, &quality, &runtime);
    if (!state || err) {
        if (error) *error = soxr_strerror(err);
        if (state) soxr_delete(state);
        return nullptr;
    }
    std::unique_ptr<Resampler> r(new Resampler());
    r->state_ = state;
    r->ratio_ = static_cast<double>(output_rate) / input_rate;
    return r;
}

Resampler::~Resampler() {
    if (state_) soxr_delete(static_cast<soxr_t>(state_));
}

bool Resampler::process(const float* in, std::int64_t in_frames, float* out,
                        std::int64_t out_capacity, std::int64_t& used, std::int64_t& generated) {
    std::size_t idone = 0, odone = 0;
    // A non-null input with length 0 is not end-of-input for libsoxr (only a null one is).
    static const float kNothing[2] = {0, 0};
    const soxr_error_t err =
        soxr_process(static_cast<soxr_t>(state_), in_frames > 0 ? in : kNothing,
                     static_cast<std::size_t>(in_frames), &idone, out,
                     static_cast<std::size_t>(out_capacity), &odone);
    used = static_cast<std::int64_t>(idone);
    generated = static_cast<std::int64_t>(odone);
    return err == nullptr;
}

bool Resampler::flush(float* out, std::int64_t out_capacity, std::int64_t& generated) {
    std::size_t odone = 0;
    const soxr_error_t err = soxr_process(static_cast<soxr_t>(state_), nullptr, 0, nullptr, out,
                                          static_cast<std::size_t>(out_capacity), &odone);
    generated = static_cast<std::int64_t>(odone);
    return err == nullptr;
}

} // namespace stillroom
