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
        : capacity_(capacity_frames),
          data_(static_cast<std::size_t>(capacity_frames * kChannels), 0.0f) {}

    std::int64_t capacity() const { return capacity_; }
    // Runs on: either side. Frames ready to read.
    std::int64_t readable() const {
        return written_.load(std::memory_order_acquire) - read_.load(std::memory_order_acquire);
    }
    // Runs on: either side. Frames that can be written.
    std::int64_t writable() const { return capacity_ - readable(); }

    // Runs on: the decoder thread (or the control thread before the voice is handed over).
    std::int64_t write(const float* frames, std::int64_t n) {
        n = std::min(n, writable());
        const std::int64_t w = written_.load(std::memory_order_relaxed);
        const std::int64_t start = w % capacity_;
        const std::int64_t first = std::min(n, capacity_ - start); // up to the end, then wrap
        std::copy(frames, frames + first * kChannels, data_.begin() + start * kChannels);
        std::copy(frames + first * kChannels, frames + n * kChannels, data_.begin());
        written_.store(w + n, std::memory_order_release);
        return n;
    }

    // Runs on: the audio thread. Real-time safe: two bounded copies.
    std::int64_t read(float* frames, std::int64_t n) {
        n = std::min(n, readable());
        const std::int64_t r = read_.load(std::memory_order_relaxed);
        const std::int64_t start = r % capacity_;
        const std::int64_t first = std::min(n, capacity_ - start);
        std::copy(data_.begin() + start * kChannels, data_.begin() + (start + first) * kChannels,
                  frames);
        std::copy(data_.begin(), data_.begin() + (n - first) * kChannels,
                  frames + first * kChannels);
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
