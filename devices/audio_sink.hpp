// The audio sink process: opens the PortAudio device and plays what the room's mix
// thread writes into shared memory. Isolating the device in its own process means a
// device or audio server that dies (or a driver that hangs while closing) can never stall
// the room: the room kills the sink and starts a new one.
#pragma once

#include <string>

namespace stillroom {

struct SinkArgs {
    int shm_fd = -1;
    std::string device = "default";
    int buffer_frames = 512;
};

// The sink's main: runs until its parent dies or stdin closes. Returns an exit code.
int run_audio_sink(const SinkArgs& args);

} // namespace stillroom
