// libsamplerate, wrapped once.
#include "playlists/resampler.hpp"

#include <samplerate.h>

namespace stillroom {

std::unique_ptr<Resampler> Resampler::create(double ratio, std::string* error) {
    int err = 0;
    SRC_STATE* state = src_new(SRC_SINC_MEDIUM_QUALITY, 2, &err);
    if (!state) {
        if (error) *error = src_strerror(err);
        return nullptr;
    }
    std::unique_ptr<Resampler> r(new Resampler());
    r->state_ = state;
    r->ratio_ = ratio;
    return r;
}

Resampler::~Resampler() {
    if (state_) src_delete(static_cast<SRC_STATE*>(state_));
}

bool Resampler::process(const float* in, std::int64_t in_frames, float* out, std::int64_t out_capacity,
                        bool end_of_input, std::int64_t& used, std::int64_t& generated) {
    SRC_DATA d{};
    d.data_in = in;
    d.input_frames = static_cast<long>(in_frames);
    d.data_out = out;
    d.output_frames = static_cast<long>(out_capacity);
    d.end_of_input = end_of_input ? 1 : 0;
    d.src_ratio = ratio_;
    const int err = src_process(static_cast<SRC_STATE*>(state_), &d);
    used = d.input_frames_used;
    generated = d.output_frames_gen;
    return err == 0;
}

} // namespace stillroom
