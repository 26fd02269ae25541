// The shared-memory ring between the room process (the mix thread writes) and the audio
// sink process (PortAudio's callback reads). Lock-free; the callback side never allocates,
// locks, logs or makes a system call. See docs/audio.md for why the device lives in its
// own process.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace stillroom {

enum class SinkState : std::uint32_t { Starting = 0, Playing = 1, Failed = 2 };

struct SinkShared {
    static constexpr std::uint32_t kMagic = 0x53524B31; // "SRK1"
    std::uint32_t magic;
    std::uint32_t channels;
    std::uint32_t capacity_frames;
    std::uint32_t sample_rate;
    std::atomic<std::uint64_t> write_pos; // frames written by the room
    std::atomic<std::uint64_t> read_pos;  // frames consumed by the device
    std::atomic<std::uint64_t> underruns; // callbacks that found too little
    std::atomic<std::uint32_t> state;
    char status[256]; // written by the sink before it changes `state`
    float data[1];    // capacity_frames * channels follow

    static std::size_t bytes_for(std::uint32_t capacity_frames, std::uint32_t channels) {
        return offsetof(SinkShared, data) + sizeof(float) * capacity_frames * channels;
    }

    // Runs on: the sink's audio callback. Copies what is there and zero-fills the rest.
    void read_into(float* out, std::uint64_t frames) {
        const std::uint64_t r = read_pos.load(std::memory_order_relaxed);
        const std::uint64_t w = write_pos.load(std::memory_order_acquire);
        const std::uint64_t have = w - r < frames ? w - r : frames;
        for (std::uint64_t i = 0; i < have; ++i) {
            const std::uint64_t slot = ((r + i) % capacity_frames) * channels;
            for (std::uint32_t c = 0; c < channels; ++c)
                out[i * channels + c] = data[slot + c];
        }
        if (have < frames) {
            std::memset(out + have * channels, 0, sizeof(float) * (frames - have) * channels);
            underruns.fetch_add(1, std::memory_order_relaxed);
        }
        read_pos.store(r + have, std::memory_order_release);
    }

    // Runs on: the room's mix thread. Frames that can be written now.
    std::uint64_t writable() const {
        return capacity_frames - (write_pos.load(std::memory_order_relaxed) -
                                  read_pos.load(std::memory_order_acquire));
    }

    // Runs on: the room's mix thread.
    void write(const float* in, std::uint64_t frames) {
        const std::uint64_t w = write_pos.load(std::memory_order_relaxed);
        for (std::uint64_t i = 0; i < frames; ++i) {
            const std::uint64_t slot = ((w + i) % capacity_frames) * channels;
            for (std::uint32_t c = 0; c < channels; ++c)
                data[slot + c] = in[i * channels + c];
        }
        write_pos.store(w + frames, std::memory_order_release);
    }
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "the sink ring needs lock-free atomics");

} // namespace stillroom
