// The control side of the audio path: turns the engine's audio effects into voices and
// mixer commands stamped with a mixer frame, and frees what the mixer hands back.
// Used live (the audio driver's loader thread loads and posts, a decoder thread fills) and
// by the offline renderer (decoding inline).
#pragma once

#include "engine/desired_state.hpp"
#include "engine/effects.hpp"
#include "playlists/decoder.hpp"
#include "playlists/loudness.hpp"
#include "playlists/mixer.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace stillroom {

struct AudioEngineSettings {
    std::filesystem::path library_dir;
    double ring_seconds = 4;    // decoded audio kept ahead per voice
    double prefill_seconds = 1; // decoded on the loading thread before a voice starts
    // Opens and positions a new voice's file (tests inject a slow or blocking one).
    std::function<void(Voice&)> open = open_voice;
};

class AudioEngine {
public:
    // `decoder` may be null: then service() decodes inline (offline render).
    AudioEngine(AudioEngineSettings settings, Mixer& mixer, Decoder* decoder);
    ~AudioEngine();

    // The voice `effect` needs (PlayTrack, PlaySound), opened, positioned and prefilled;
    // null for other effects. Slow (file I/O and decoding) and touches nothing shared, so it
    // runs outside every lock. Runs on: the audio driver's loader thread (or the renderer).
    std::shared_ptr<Voice> load(const Effect& effect) const;
    // The voice the desired state's track needs, as load(); null when nothing plays.
    std::shared_ptr<Voice> load(const DesiredState& state) const;
    // Drops `frames` frames from the front of a voice load() made and handle() has not yet
    // had (a late start), decoding as needed; refills the prefill. Returns frames dropped.
    // Runs on: the loader thread, before handle().
    std::int64_t skip(Voice& voice, std::int64_t frames) const;
    // Acts on PlayTrack, StopMusic, SetVolume, SetDepth and PlaySound (with the voice load() made
    // for it); ignores other effects. A music voice that starts `late_frames` after its due frame
    // first skips that many frames, so the track stays where the session says it is and the next
    // crossfade lines up. Runs on: the thread that posts to the mixer.
    void handle(const Effect& effect, std::int64_t at_frame, std::shared_ptr<Voice> voice,
                std::int64_t late_frames = 0);
    void handle(const Effect& effect, std::int64_t at_frame) {
        handle(effect, at_frame, load(effect));
    }
    // Brings the audio to the desired state gently: the track at its position, faded in over
    // `fade_frames`, and the volume. Runs on: the thread that posts to the mixer.
    void reconcile(const DesiredState& state, std::int64_t at_frame, std::int64_t fade_frames,
                   std::shared_ptr<Voice> voice, std::int64_t late_frames = 0);
    void reconcile(const DesiredState& state, std::int64_t at_frame, std::int64_t fade_frames) {
        reconcile(state, at_frame, fade_frames, load(state));
    }
    // Ramps output group `group` (room.json's outputs, in order) to `gain_db` over
    // `fade_frames`, from `at_frame`. Runs on: the thread that posts to the mixer (live: the
    // library watcher's, under the audio driver's lock).
    void set_group_gain(int group, double gain_db, std::int64_t at_frame, std::int64_t fade_frames);
    // Frees retired voices; collects files that failed. Runs on: the audio driver's
    // maintenance thread (under the driver's audio lock), or the renderer's thread.
    void collect();
    // Files that could not be played (missing, unreadable, truncated) since the last call.
    // A piece in layers is here (by its track file) only when no layer of it plays on.
    std::vector<std::pair<std::string, std::string>> take_failures();
    // Layers that broke mid-piece while other layers of their piece played on (the mixer
    // re-spans the depth over those): a library fault for the curator, not a track failure.
    struct LayerFault {
        std::string file;  // the broken layer's file
        std::string piece; // its piece's track file
        std::string error;
    };
    std::vector<LayerFault> take_layer_faults();
    // Inline decoding for the offline renderer: fills every voice that has room.
    void service();
    // Voices alive (not yet freed).
    std::size_t live_voices() const { return voices_.size(); }

private:
    std::shared_ptr<Voice> make_voice(const std::string& file, Ms offset, std::optional<Ms> length,
                                      double gain_db, bool music) const;
    // A piece in layers: the first layer's voice, carrying the others (Voice::other_layers),
    // every one opened at the same position; a plain track when `layers` is empty.
    std::shared_ptr<Voice> make_track(const std::string& file,
                                      const std::vector<TrackLayer>& layers, Ms offset, Ms length,
                                      double gain_db) const;
    void start(const std::shared_ptr<Voice>& v, std::int64_t at_frame, std::int64_t fade,
               std::int64_t late_frames = 0);
    void post(const MixerCommand& c);

    AudioEngineSettings settings_;
    Mixer& mixer_;
    Decoder* decoder_;
    std::map<const Voice*, std::shared_ptr<Voice>> voices_;
    std::vector<std::pair<std::string, std::string>> failures_;
    std::vector<LayerFault> layer_faults_;
    std::vector<MixerCommand> backlog_; // posts that found the queue full
    // One-shot sounds, measured on first use. Mutable: load() is const for the engine's state
    // but fills this cache; only the loading thread (the loader live, the renderer offline)
    // calls load().
    mutable LoudnessCache sound_loudness_;
    mutable std::uint64_t next_piece_ = 0; // the loading thread's, like sound_loudness_
};

} // namespace stillroom
