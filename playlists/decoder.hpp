// Decoding ahead: opens files (libsndfile, else FFmpeg: playlists/audio_source.hpp), maps channels
// to stereo, resamples to the device rate (libsoxr) and fills each voice's ring. One thread for all
// voices in live use; called inline by the offline renderer.
#pragma once

#include "engine/clock.hpp"
#include "playlists/voice.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace stillroom {

// Opens the voice's file and positions it. On failure sets voice.failed and decoded_all.
// Runs on: the audio driver's loader thread (or the renderer's), before the voice is shared.
void open_voice(Voice& voice);

// Decodes up to `max_frames` device frames into the ring (as many as fit). Returns frames
// written. Sets decoded_all at the end, and failed (with error) on a read error or a file
// shorter than its header said. Runs on: the decoder thread (or the control thread before
// hand-over, or the renderer).
std::int64_t fill_voice(Voice& voice, std::int64_t max_frames);

class Decoder {
public:
    // `clock` (real time) paces the decoder thread.
    explicit Decoder(DeviceClock& clock) : clock_(clock) {}
    ~Decoder() { stop(); }
    void start();
    void stop();
    // Runs on: a control thread.
    void add(std::shared_ptr<Voice> voice);
    void remove(const Voice* voice);
    // One pass over every voice: fill what has room. Returns frames written.
    std::int64_t service();

private:
    void loop();
    DeviceClock& clock_;
    Wakeup wakeup_;
    std::mutex mutex_;
    std::vector<std::shared_ptr<Voice>> voices_;
    std::atomic<bool> running_{false};
    std::thread thread_;
};

} // namespace stillroom
