// stillroom-audio-sink: the process that holds the audio device for the room (see
// devices/audio_sink.hpp). Started and supervised by `stillroom run`; not for people.
#include "devices/audio_sink.hpp"

#include <cstdlib>
#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
    stillroom::SinkArgs args;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--fd"))
            args.shm_fd = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--device"))
            args.device = argv[i + 1];
        else if (!std::strcmp(argv[i], "--buffer"))
            args.buffer_frames = std::atoi(argv[i + 1]);
    }
    if (args.shm_fd < 0) {
        std::cerr << "stillroom-audio-sink is started by stillroom run; it is not run by hand\n";
        return 2;
    }
    return stillroom::run_audio_sink(args);
}
