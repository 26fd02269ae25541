// A JACK client that records what another client plays (every output port matching a
// pattern, summed into one input) into memory, one sample per JACK frame from the moment it
// starts, silence included, and when (steady clock) each block arrived: on a loaded
// machine the dummy driver loses cycles, so frames alone understate the time that passed.
#pragma once

#include "jack_probe.hpp"

#include <vector>

namespace stillroom::test {

class JackRecorder final : public JackInputClient {
public:
    // Records at most `seconds` (the buffer is allocated here, never in the callback).
    JackRecorder(const std::string& server, double seconds);
    ~JackRecorder() { close(); }
    int sample_rate() const { return rate_; }
    // Frames recorded so far; samples [0, frames()) are final. Any thread.
    std::size_t frames() const { return written_.load(std::memory_order_acquire); }
    const std::vector<float>& samples() const { return buffer_; }
    // When (steady clock, seconds) recorded frame `frame` arrived: its block's arrival plus
    // its place in the block.
    double seconds_at(std::size_t frame) const;

private:
    static int process(jack_nframes_t n, void* self);
    int rate_ = 48000;
    std::vector<float> buffer_;
    std::vector<std::size_t> block_frame_; // first frame of each block
    std::vector<double> block_seconds_;    // its arrival on the steady clock
    std::atomic<std::size_t> blocks_{0};
    std::atomic<std::size_t> written_{0};
};

} // namespace stillroom::test
