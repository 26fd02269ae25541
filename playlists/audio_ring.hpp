// A single-producer single-consumer ring of interleaved stereo frames between the decoder
// thread (writer) and the audio thread (reader). Storage is allocated once, in the
// constructor, on a control thread; write() and read() never allocate, lock or block.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

namespace stillroom {

class AudioRing {
public:
    static constexpr int kChannels = 2;

    explicit AudioRing(std::int64_t capacity_frames)
        : capacity_(capacity_frames), data_(static_cast<std::size_t>(capacity_frames * kChannels), 0.0f) {}

    std::int64_t capacity() const { return capacity_; }
    // Runs on: either side. Frames ready to read.
    std::int64_t readable() const { return written_.load(std::memory_order_acquire) - read_.load(std::memory_order_acquire); }
    // Runs on: either side. Frames that can be written.
    std::int64_t writable() const { return capacity_ - readable(); }

    // Runs on: the decoder thread (or the control thread before the voice is handed over).
    std::int64_t write(const float* frames, std::int64_t n) {
        n = std::min(n, writable());
        const std::int64_t w = written_.load(std::memory_order_relaxed);
        for (std::int64_t i = 0; i < n; ++i) {
            const auto slot = static_cast<std::size_t>(((w + i) % capacity_) * kChannels);
            data_[slot] = frames[i * kChannels];
            data_[slot + 1] = frames[i * kChannels + 1];
        }
        written_.store(w + n, std::memory_order_release);
        return n;
    }

    // Runs on: the audio thread. Real-time safe.
    std::int64_t read(float* frames, std::int64_t n) {
        n = std::min(n, readable());
        const std::int64_t r = read_.load(std::memory_order_relaxed);
        for (std::int64_t i = 0; i < n; ++i) {
            const auto slot = static_cast<std::size_t>(((r + i) % capacity_) * kChannels);
            frames[i * kChannels] = data_[slot];
            frames[i * kChannels + 1] = data_[slot + 1];
        }
        read_.store(r + n, std::memory_order_release);
        return n;
    }

private:
    std::int64_t capacity_;
    std::vector<float> data_;
    alignas(64) std::atomic<std::int64_t> written_{0};
    alignas(64) std::atomic<std::int64_t> read_{0};
};

} // namespace stillroom
