// True peak of interleaved float audio: see true_peak.hpp.
#include "playlists/true_peak.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace stillroom {

namespace {

// libebur128 1.2.x: interp_create(49, factor, channels).
constexpr int kTaps = 49;
constexpr double kAlmostZero = 0.000001;

} // namespace

TruePeakMeter::TruePeakMeter(int channels, int sample_rate) : channels_(std::max(channels, 0)) {
    factor_ = sample_rate < 96000 ? 4 : sample_rate < 192000 ? 2 : 1;
    if (factor_ > 1) {
        phases_.resize(static_cast<std::size_t>(factor_));
        for (int j = 0; j < kTaps; ++j) {
            const double m = j - (kTaps - 1) / 2.0;
            double c = 1.0;
            if (std::fabs(m) > kAlmostZero) c = std::sin(m * M_PI / factor_) / (m * M_PI / factor_);
            c *= 0.5 * (1 - std::cos(2 * M_PI * j / (kTaps - 1))); // Hann window
            if (std::fabs(c) <= kAlmostZero) continue;
            phases_[static_cast<std::size_t>(j % factor_)].push_back(
                {static_cast<float>(c), j / factor_});
            history_ = std::max(history_, j / factor_);
        }
        // A sub-filter that is one unit tap gives back a sample: the sample peak covers it.
        std::erase_if(phases_, [](const std::vector<Tap>& p) {
            return p.empty() || (p.size() == 1 && std::fabs(p[0].coeff - 1.0f) < 1e-6f);
        });
        for (const auto& p : phases_) {
            float sum = 0;
            for (const Tap& t : p)
                sum += std::fabs(t.coeff);
            bound_gain_ = std::max(bound_gain_, sum);
        }
    }
    chan_.assign(static_cast<std::size_t>(history_ + kBlock), 0.0f);
    tail_.assign(static_cast<std::size_t>(history_ * channels_), 0.0f);
}

float TruePeakMeter::filter_block(const float* x, int n) {
    // Fixed counts, a local accumulator no pointer can reach and integer maxima (the bits
    // of |v| order as the values do): the compiler vectorises every loop here at -O2.
    std::int32_t best = 0;
    for (const auto& phase : phases_) {
        alignas(32) float y[kBlock];
        const float c0 = phase[0].coeff;
        const float* s0 = x - phase[0].back;
        for (int i = 0; i < kBlock; ++i)
            y[i] = c0 * s0[i];
        for (std::size_t t = 1; t < phase.size(); ++t) {
            const float c = phase[t].coeff;
            const float* src = x - phase[t].back;
            for (int i = 0; i < kBlock; ++i)
                y[i] += c * src[i];
        }
        alignas(32) std::int32_t mag[kBlock];
        std::memcpy(mag, y, sizeof y);
        for (int i = n; i < kBlock; ++i) // past the frames given: not part of the signal
            mag[i] = 0;
        for (int i = 0; i < kBlock; ++i)
            best = std::max(best, mag[i] & 0x7fffffff);
    }
    float v = 0;
    std::memcpy(&v, &best, sizeof v);
    return v;
}

void TruePeakMeter::add(const float* interleaved, std::int64_t frames) {
    if (channels_ == 0) return;
    const auto hist = static_cast<std::size_t>(history_);
    while (frames > 0) {
        const int n = static_cast<int>(std::min<std::int64_t>(frames, kBlock));
        for (int c = 0; c < channels_; ++c) {
            float* tail = tail_.data() + hist * static_cast<std::size_t>(c);
            std::copy(tail, tail + hist, chan_.begin());
            float* x = chan_.data() + hist;
            float sample_max = 0;
            for (int i = 0; i < n; ++i) {
                x[i] = interleaved[static_cast<std::ptrdiff_t>(i) * channels_ + c];
                sample_max = std::max(sample_max, std::fabs(x[i]));
            }
            peak_ = std::max(peak_, sample_max);
            if (!phases_.empty()) {
                // Every interpolated value here is a weighted sum of samples in
                // x[-history_, n): when even their largest times the largest weight sum
                // cannot pass the peak so far, the filter cannot either.
                float near_max = sample_max;
                for (std::size_t i = 0; i < hist; ++i)
                    near_max = std::max(near_max, std::fabs(chan_[i]));
                if (near_max * bound_gain_ > peak_) {
                    if (n < kBlock) std::fill(x + n, x + kBlock, 0.0f);
                    peak_ = std::max(peak_, filter_block(x, n));
                }
            }
            // Keep the last history_ samples (the older history too when the block was short).
            std::copy(chan_.begin() + n, chan_.begin() + n + static_cast<std::ptrdiff_t>(hist),
                      tail);
        }
        interleaved += static_cast<std::ptrdiff_t>(n) * channels_;
        frames -= n;
    }
}

void TruePeakMeter::prime(const float* interleaved, std::int64_t frames) {
    if (history_ == 0 || frames <= 0) return;
    const auto h = static_cast<std::int64_t>(history_);
    const std::int64_t keep = std::min(frames, h); // of the new frames; the rest is old tail
    for (int c = 0; c < channels_; ++c) {
        float* tail = tail_.data() + h * c;
        std::copy(tail + keep, tail + h, tail);
        for (std::int64_t i = 0; i < keep; ++i)
            tail[h - keep + i] = interleaved[(frames - keep + i) * channels_ + c];
    }
}

} // namespace stillroom
