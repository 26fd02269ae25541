// The control side of the audio path: turns the engine's audio effects into voices and
// mixer commands stamped with a mixer frame, and frees what the mixer hands back.
// Used live (with a decoder thread) and by the offline renderer (decoding inline).
#pragma once

#include "engine/desired_state.hpp"
#include "engine/effects.hpp"
#include "playlists/decoder.hpp"
#include "playlists/loudness.hpp"
#include "playlists/mixer.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace stillroom {

struct AudioEngineSettings {
    std::filesystem::path library_dir;
    double ring_seconds = 4;       // decoded audio kept ahead per voice
    double prefill_seconds = 1;    // decoded on the control thread before a voice starts
};

class AudioEngine {
public:
    // `decoder` may be null: then service() decodes inline (offline render).
    AudioEngine(AudioEngineSettings settings, Mixer& mixer, Decoder* decoder);
    ~AudioEngine();

    // Acts on PlayTrack, StopMusic, SetVolume and PlaySound; ignores other effects.
    // Runs on: the engine thread.
    void handle(const Effect& effect, std::int64_t at_frame);
    // Brings the audio to the desired state gently: the track at its position, faded in over
    // `fade_frames`, and the volume. Runs on: the engine thread.
    void reconcile(const DesiredState& state, std::int64_t at_frame, std::int64_t fade_frames);
    // Ramps output group `group` (room.json's outputs, in order) to `gain_db` over
    // `fade_frames`, from `at_frame`. Runs on: the engine thread (whoever posts to the mixer).
    void set_group_gain(int group, double gain_db, std::int64_t at_frame, std::int64_t fade_frames);
    // Frees retired voices; collects files that failed. Runs on: the audio driver's
    // maintenance thread (under the driver's audio lock), or the renderer's thread.
    void collect();
    // Files that could not be played (missing, unreadable, truncated) since the last call.
    std::vector<std::pair<std::string, std::string>> take_failures();
    // Inline decoding for the offline renderer: fills every voice that has room.
    void service();
    // Voices alive (not yet freed).
    std::size_t live_voices() const { return voices_.size(); }

private:
    std::shared_ptr<Voice> make_voice(const std::string& file, Ms offset, std::optional<Ms> length, double gain_db,
                                      bool music);
    void start(const std::shared_ptr<Voice>& v, std::int64_t at_frame, std::int64_t fade);
    void post(const MixerCommand& c);

    AudioEngineSettings settings_;
    Mixer& mixer_;
    Decoder* decoder_;
    std::map<const Voice*, std::shared_ptr<Voice>> voices_;
    std::vector<std::pair<std::string, std::string>> failures_;
    std::vector<MixerCommand> backlog_; // posts that found the queue full
    LoudnessCache sound_loudness_;      // one-shot sounds, measured on first use
};

} // namespace stillroom
