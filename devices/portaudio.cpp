// PortAudio, wrapped once.
#include "devices/portaudio.hpp"

#include <alsa/asoundlib.h>

#include <algorithm>
#include <cctype>

namespace stillroom {

namespace {

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

} // namespace

// ALSA prints a screenful to stderr while PortAudio probes cards that are not there.
static void quiet_alsa(const char*, int, const char*, int, const char*, ...) {}

std::unique_ptr<PortAudioSession> PortAudioSession::open(std::string* error) {
    snd_lib_error_set_handler(&quiet_alsa);
    const PaError err = Pa_Initialize();
    if (err != paNoError) {
        if (error) *error = Pa_GetErrorText(err);
        return nullptr;
    }
    return std::unique_ptr<PortAudioSession>(new PortAudioSession());
}

PortAudioSession::~PortAudioSession() {
    Pa_Terminate();
}

std::vector<AudioDeviceInfo> PortAudioSession::output_devices() const {
    std::vector<AudioDeviceInfo> out;
    const int n = Pa_GetDeviceCount();
    for (int i = 0; i < n; ++i) {
        const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
        if (!d || d->maxOutputChannels <= 0) continue;
        const PaHostApiInfo* api = Pa_GetHostApiInfo(d->hostApi);
        out.push_back({i, d->name ? d->name : "", api && api->name ? api->name : "",
                       d->maxOutputChannels, d->defaultSampleRate});
    }
    return out;
}

std::optional<AudioDeviceInfo> PortAudioSession::find(const std::string& name) const {
    const auto devices = output_devices();
    if (devices.empty()) return std::nullopt;
    if (name == "default") {
        // A running JACK server is the room's sound system when there is one.
        for (const auto& d : devices)
            if (d.host_api.find("JACK") != std::string::npos) return d;
        const PaDeviceIndex def = Pa_GetDefaultOutputDevice();
        for (const auto& d : devices)
            if (d.index == def) return d;
        return devices.front();
    }
    const std::string want = lower(name);
    for (const auto& d : devices)
        if (lower(d.name) == want) return d;
    for (const auto& d : devices)
        if (lower(d.name).find(want) != std::string::npos) return d;
    return std::nullopt;
}

std::unique_ptr<PortAudioStream>
PortAudioStream::start_raw(const AudioDeviceInfo& device, int channels, int rate, int buffer_frames,
                           PaStreamCallback* callback, void* user, std::string* error) {
    PaStreamParameters p{};
    p.device = device.index;
    p.channelCount = channels;
    p.sampleFormat = paFloat32;
    const PaDeviceInfo* info = Pa_GetDeviceInfo(device.index);
    p.suggestedLatency = info ? info->defaultLowOutputLatency : 0.05;
    PaStream* stream = nullptr;
    PaError err =
        Pa_OpenStream(&stream, nullptr, &p, rate, static_cast<unsigned long>(buffer_frames),
                      paClipOff | paDitherOff, callback, user);
    if (err != paNoError) {
        if (error) *error = std::string("cannot open ") + device.name + ": " + Pa_GetErrorText(err);
        return nullptr;
    }
    err = Pa_StartStream(stream);
    if (err != paNoError) {
        if (error)
            *error = std::string("cannot start ") + device.name + ": " + Pa_GetErrorText(err);
        Pa_CloseStream(stream);
        return nullptr;
    }
    std::unique_ptr<PortAudioStream> s(new PortAudioStream());
    s->stream_ = stream;
    return s;
}

PortAudioStream::~PortAudioStream() {
    if (!stream_) return;
    Pa_AbortStream(static_cast<PaStream*>(stream_));
    Pa_CloseStream(static_cast<PaStream*>(stream_));
}

bool PortAudioStream::active() const {
    return Pa_IsStreamActive(static_cast<PaStream*>(stream_)) == 1;
}

} // namespace stillroom
