// The one RAII wrapper of PortAudio (STYLE.md habit 7): library lifetime, device lookup
// by name, and an output stream whose callback runs the mixer.
#pragma once

#include <portaudio.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

struct AudioDeviceInfo {
    int index = -1;
    std::string name;
    std::string host_api;
    int max_output_channels = 0;
    double default_rate = 0;
};

class PortAudioSession {
public:
    // Pa_Initialize; nullptr with *error on failure. Re-created to rediscover a JACK server.
    static std::unique_ptr<PortAudioSession> open(std::string* error);
    ~PortAudioSession();
    PortAudioSession(const PortAudioSession&) = delete;
    PortAudioSession& operator=(const PortAudioSession&) = delete;

    std::vector<AudioDeviceInfo> output_devices() const;
    // "default" or a (case-insensitive) part of a device name; JACK devices preferred.
    std::optional<AudioDeviceInfo> find(const std::string& name) const;

private:
    PortAudioSession() = default;
};

class PortAudioStream {
public:
    // Opens and starts a float32 interleaved output stream with this callback.
    static std::unique_ptr<PortAudioStream> start_raw(const AudioDeviceInfo& device, int channels,
                                                      int rate, int buffer_frames,
                                                      PaStreamCallback* callback, void* user,
                                                      std::string* error);
    ~PortAudioStream();
    PortAudioStream(const PortAudioStream&) = delete;
    PortAudioStream& operator=(const PortAudioStream&) = delete;
    bool active() const;

private:
    PortAudioStream() = default;
    void* stream_ = nullptr; // PaStream*
};

} // namespace stillroom
