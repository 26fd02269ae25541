// True peak (ITU-R BS.1770-4 Annex 2) of interleaved float audio: the largest magnitude of
// the signal oversampled 4x (below 96 kHz; 2x below 192 kHz; the samples themselves from
// 192 kHz) and of the samples, per channel. The interpolator is libebur128's (1.2.x): a
// 49-tap Hann-windowed sinc split into polyphase sub-filters, zero taps dropped, so the
// two meters agree (tests/unit/test_true_peak.cpp compares them).
//
// Why not libebur128's own: its interpolator runs tap by tap per sample and was about two
// thirds of a library's loudness scan (issue 22). This one filters a block of each channel
// at once (vectorised), and skips the filter for a block whose samples cannot make a peak
// above the largest found so far: every interpolated value is a weighted sum of at most 12
// neighbouring samples, so it is at most (max |sample| nearby) x (the largest sum of
// |coefficients| of a sub-filter). Skipping is exact: the result is what filtering every
// block gives.
#pragma once

#include <cstdint>
#include <vector>

namespace stillroom {

class TruePeakMeter {
public:
    TruePeakMeter(int channels, int sample_rate);
    // Interleaved float frames, in order.
    void add(const float* interleaved, std::int64_t frames);
    // Frames that come just before the first add(): they fill the interpolator's memory
    // and count for nothing else, so a meter started mid-file measures its part as one pass
    // over the whole file would (the peak of the whole is the largest of its parts').
    void prime(const float* interleaved, std::int64_t frames);
    // The true peak of everything added so far, linear (1.0 = full scale), the largest over
    // the channels and never below the sample peak.
    double peak() const { return peak_; }
    int factor() const { return factor_; }

    static constexpr int kBlock = 512; // frames filtered at once, per channel

private:
    struct Tap {
        float coeff = 0;
        int back = 0; // how many samples before the current one
    };
    // The largest |value| the sub-filters make over x[0, n) (x[-history_, 0) valid too).
    float filter_block(const float* x, int n);

    int channels_ = 0;
    int factor_ = 1;
    int history_ = 0;                      // samples a sub-filter reaches back
    std::vector<std::vector<Tap>> phases_; // the sub-filters that interpolate between samples
    float bound_gain_ = 0;                 // the largest sum of |coefficients| of a sub-filter
    float peak_ = 0;
    std::vector<float> chan_; // history_ samples of history, then a block (one channel)
    std::vector<float> tail_; // per channel: its last history_ samples
};

} // namespace stillroom
