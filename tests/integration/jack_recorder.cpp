// The JACK recorder client.
#include "jack_recorder.hpp"

#include <algorithm>
#include <chrono>

namespace stillroom::test {

JackRecorder::JackRecorder(const std::string& server, double seconds)
    : JackInputClient(server, "stillroom-recorder") {
    if (!client_) return;
    rate_ = static_cast<int>(jack_get_sample_rate(client_));
    buffer_.assign(static_cast<std::size_t>(seconds * rate_), 0.0f);
    block_frame_.assign(buffer_.size() / 16 + 1, 0); // blocks are 16 frames or more
    block_seconds_.assign(block_frame_.size(), 0.0);
    activate(&JackRecorder::process, this);
}

int JackRecorder::process(jack_nframes_t n, void* self) {
    // Runs on: JACK's process thread. Copies into the preallocated buffer, nothing else.
    auto* r = static_cast<JackRecorder*>(self);
    const auto* in = static_cast<const float*>(jack_port_get_buffer(r->in_, n));
    const std::size_t at = r->written_.load(std::memory_order_relaxed);
    const std::size_t take = std::min<std::size_t>(n, r->buffer_.size() - at);
    const std::size_t block = r->blocks_.load(std::memory_order_relaxed);
    if (take > 0 && block < r->block_frame_.size()) {
        r->block_frame_[block] = at;
        r->block_seconds_[block] =
            std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
                .count();
        r->blocks_.store(block + 1, std::memory_order_release);
    }
    std::copy(in, in + take, r->buffer_.begin() + static_cast<std::ptrdiff_t>(at));
    r->written_.store(at + take, std::memory_order_release);
    return 0;
}

double JackRecorder::seconds_at(std::size_t frame) const {
    const std::size_t blocks = blocks_.load(std::memory_order_acquire);
    const auto end = block_frame_.begin() + static_cast<std::ptrdiff_t>(blocks);
    auto it = std::upper_bound(block_frame_.begin(), end, frame);
    if (it == block_frame_.begin()) return 0;
    const auto k = static_cast<std::size_t>(it - block_frame_.begin()) - 1;
    return block_seconds_[k] + static_cast<double>(frame - block_frame_[k]) / rate_;
}

} // namespace stillroom::test
