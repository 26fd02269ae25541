// The JACK recorder client.
#include "jack_recorder.hpp"

#include <algorithm>

namespace stillroom::test {

JackRecorder::JackRecorder(const std::string& server, double seconds) : JackInputClient(server, "stillroom-recorder") {
    if (!client_) return;
    rate_ = static_cast<int>(jack_get_sample_rate(client_));
    buffer_.assign(static_cast<std::size_t>(seconds * rate_), 0.0f);
    activate(&JackRecorder::process, this);
}

int JackRecorder::process(jack_nframes_t n, void* self) {
    // Runs on: JACK's process thread. Copies into the preallocated buffer, nothing else.
    auto* r = static_cast<JackRecorder*>(self);
    const auto* in = static_cast<const float*>(jack_port_get_buffer(r->in_, n));
    const std::size_t at = r->written_.load(std::memory_order_relaxed);
    const std::size_t take = std::min<std::size_t>(n, r->buffer_.size() - at);
    std::copy(in, in + take, r->buffer_.begin() + static_cast<std::ptrdiff_t>(at));
    r->written_.store(at + take, std::memory_order_release);
    return 0;
}

} // namespace stillroom::test
