// The audio sink process.
#include "devices/audio_sink.hpp"

#include "devices/portaudio.hpp"
#include "devices/sink_ring.hpp"

#include <portaudio.h>

#include <csignal>
#include <cstdio>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace stillroom {

namespace {

void set_status(SinkShared* shm, SinkState state, const std::string& text) {
    std::snprintf(shm->status, sizeof shm->status, "%s", text.c_str());
    shm->state.store(static_cast<std::uint32_t>(state), std::memory_order_release);
}

// Runs on: PortAudio's audio thread. Real-time safe: a copy from shared memory.
int sink_callback(const void*, void* output, unsigned long frames, const PaStreamCallbackTimeInfo*,
                  PaStreamCallbackFlags, void* user) {
    static_cast<SinkShared*>(user)->read_into(static_cast<float*>(output), frames);
    return paContinue;
}

} // namespace

int run_audio_sink(const SinkArgs& args) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive the room
    struct stat st {};
    if (fstat(args.shm_fd, &st) != 0) return 2;
    void* mem = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ | PROT_WRITE,
                     MAP_SHARED, args.shm_fd, 0);
    if (mem == MAP_FAILED) return 2;
    auto* shm = static_cast<SinkShared*>(mem);
    if (shm->magic != SinkShared::kMagic) return 2;

    std::string error;
    auto pa = PortAudioSession::open(&error);
    if (!pa) {
        set_status(shm, SinkState::Failed, "PortAudio: " + error);
        return 1;
    }
    auto device = pa->find(args.device);
    if (!device) {
        set_status(shm, SinkState::Failed, "no output device \"" + args.device + "\"");
        return 1;
    }
    if (device->max_output_channels < static_cast<int>(shm->channels)) {
        set_status(shm, SinkState::Failed,
                   "device \"" + device->name + "\" has " +
                       std::to_string(device->max_output_channels) + " channels; the room needs " +
                       std::to_string(shm->channels));
        return 1;
    }
    auto stream = PortAudioStream::start_raw(*device, static_cast<int>(shm->channels),
                                             static_cast<int>(shm->sample_rate), args.buffer_frames,
                                             &sink_callback, shm, &error);
    if (!stream) {
        set_status(shm, SinkState::Failed, error);
        return 1;
    }
    set_status(shm, SinkState::Playing,
               "playing on \"" + device->name + "\" (" + device->host_api + ", " +
                   std::to_string(shm->sample_rate) + " Hz, " + std::to_string(args.buffer_frames) +
                   " frames)");
    // Wait for the room to close our stdin (or kill us). The stream plays meanwhile.
    char c;
    while (read(STDIN_FILENO, &c, 1) > 0) {
    }
    // A normal goodbye: close the stream (the server is alive, so this returns).
    stream.reset();
    return 0;
}

} // namespace stillroom
