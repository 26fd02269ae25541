// A stereo-linked look-ahead peak limiter with a hard ceiling. The gain reaches the
// needed reduction exactly when a peak leaves the delay line (a linear ramp across the
// look-ahead), so nothing is clipped and nothing steps. Fixed-size storage, O(1) per frame.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace stillroom {

class Limiter {
public:
    static constexpr int kLookahead = 64; // frames (1.3 ms at 48 kHz); a power of two

    // Runs on: a control thread (prepare).
    void prepare(int sample_rate, float ceiling_linear) {
        ceiling_ = ceiling_linear;
        release_ = 1.0 - std::exp(-1.0 / (0.15 * sample_rate));
        reset();
    }

    void reset() {
        delay_.fill(0.0f);
        box_.fill(1.0f);
        box_sum_ = kLookahead;
        pos_ = 0;
        n_ = 0;
        head_ = tail_ = 0;
        gain_ = 1.0;
    }

    float ceiling() const { return ceiling_; }
    float gain() const { return static_cast<float>(gain_); }

    // Processes one stereo frame in place. Runs on: the audio thread. Real-time safe.
    void process(float& left, float& right) {
        const float peak = std::max(std::fabs(left), std::fabs(right));
        const float needed = peak > ceiling_ ? ceiling_ / peak : 1.0f;
        // Sliding minimum of the needed gain over the window of the kLookahead + 1 newest
        // inputs (the one leaving the delay line now and all behind it): a monotonic deque.
        while (head_ != tail_ && dq_value_[(tail_ - 1) & kMask] >= needed)
            tail_ = (tail_ - 1) & kMask;
        dq_value_[tail_] = needed;
        dq_index_[tail_] = n_;
        tail_ = (tail_ + 1) & kMask;
        while (dq_index_[head_] <= n_ - (kLookahead + 1))
            head_ = (head_ + 1) & kMask;
        const float hold = dq_value_[head_];
        // A box average of the last kLookahead holds: every one of them already counted the
        // leaving sample, so the ramp down is complete by the time it leaves.
        box_sum_ += static_cast<double>(hold) - box_[pos_];
        box_[pos_] = hold;
        const double target = box_sum_ / kLookahead;
        gain_ = target < gain_ ? target : gain_ + (target - gain_) * release_;
        if (target == 1.0 && gain_ > 0.99999) gain_ = 1.0; // settle exactly: no endless tail
        const float g = static_cast<float>(gain_);
        const float out_l = delay_[2 * pos_] * g;
        const float out_r = delay_[2 * pos_ + 1] * g;
        delay_[2 * pos_] = left;
        delay_[2 * pos_ + 1] = right;
        pos_ = (pos_ + 1) & (kLookahead - 1);
        ++n_;
        if (pos_ == 0) { // re-sum once per window: no drift, and exact when all holds are 1
            double sum = 0;
            for (float b : box_)
                sum += b;
            box_sum_ = sum;
        }
        // The last guard: never above the ceiling, whatever happens.
        left = std::clamp(out_l, -ceiling_, ceiling_);
        right = std::clamp(out_r, -ceiling_, ceiling_);
    }

    // Processes interleaved stereo frames in place. A block that is quiet and follows a quiet
    // stretch takes a fast path that only delays it; otherwise frame by frame.
    // Runs on: the audio thread. Real-time safe.
    void process_block(float* stereo, int n) {
        if (n >= kLookahead && gain_ == 1.0 && box_sum_ == kLookahead) {
            float peak = 0;
            for (int i = 0; i < 2 * n; ++i)
                peak = std::max(peak, std::fabs(stereo[i]));
            if (peak <= ceiling_) {
                // Everything in the delay line and the block is below the ceiling: delay only.
                // Oldest first: delay_[pos_..] then delay_[..pos_).
                std::array<float, 2 * kLookahead> tail{};
                std::copy(stereo + 2 * (n - kLookahead), stereo + 2 * n, tail.begin());
                std::copy_backward(stereo, stereo + 2 * (n - kLookahead), stereo + 2 * n);
                std::copy(delay_.begin() + 2 * pos_, delay_.end(), stereo);
                std::copy(delay_.begin(), delay_.begin() + 2 * pos_,
                          stereo + 2 * (kLookahead - pos_));
                delay_ = tail;
                pos_ = 0;
                n_ += n;
                // The window now holds only "no reduction needed".
                head_ = 0;
                tail_ = 1;
                dq_value_[0] = 1.0f;
                dq_index_[0] = n_ - 1;
                return;
            }
        }
        for (int i = 0; i < n; ++i)
            process(stereo[2 * i], stereo[2 * i + 1]);
    }

private:
    static constexpr int kWindow = 2 * kLookahead; // deque capacity, a power of two > window + 1
    static constexpr int kMask = kWindow - 1;
    float ceiling_ = 0.891f; // -1 dBFS
    double release_ = 0.0001;
    std::array<float, 2 * kLookahead> delay_{};
    std::array<float, kLookahead> box_{};
    double box_sum_ = kLookahead;
    std::array<float, kWindow> dq_value_{};
    std::array<std::int64_t, kWindow> dq_index_{};
    int head_ = 0;
    int tail_ = 0;
    int pos_ = 0;
    std::int64_t n_ = 0;
    double gain_ = 1.0;
};

} // namespace stillroom
