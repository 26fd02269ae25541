// Effects to voices and mixer commands.
#include "playlists/audio_engine.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace stillroom {

namespace {

std::int64_t ms_to_frames(Ms ms, int rate) {
    return ms.count() * rate / 1000;
}

// Drops up to `frames` device frames from the front of a voice the mixer does not have yet
// (its ring's only reader until then), decoding as needed, then tops the ring back up to
// `prefill`. Returns the frames dropped (fewer only at the end of the file).
std::int64_t skip_frames(Voice& v, std::int64_t frames, std::int64_t prefill) {
    if (frames <= 0 || v.failed.load()) return 0;
    constexpr std::int64_t kChunk = 4096;
    std::vector<float> scratch(2 * kChunk);
    std::int64_t skipped = 0;
    while (skipped < frames) {
        if (v.ring.readable() == 0) {
            if (v.decoded_all.load() || fill_voice(v, std::min(kChunk, frames - skipped)) <= 0)
                break;
        }
        skipped +=
            v.ring.read(scratch.data(), std::min({kChunk, frames - skipped, v.ring.readable()}));
    }
    if (!v.decoded_all.load()) fill_voice(v, prefill);
    return skipped;
}

} // namespace

AudioEngine::AudioEngine(AudioEngineSettings settings, Mixer& mixer, Decoder* decoder)
    : settings_(std::move(settings)), mixer_(mixer), decoder_(decoder),
      sound_loudness_(settings_.library_dir) {}

AudioEngine::~AudioEngine() {
    if (decoder_)
        for (auto& [ptr, v] : voices_)
            decoder_->remove(ptr);
}

std::shared_ptr<Voice> AudioEngine::make_voice(const std::string& file, Ms offset,
                                               std::optional<Ms> length, double gain_db,
                                               bool music) const {
    const int rate = mixer_.config().sample_rate;
    auto v = std::make_shared<Voice>(static_cast<std::int64_t>(settings_.ring_seconds * rate));
    v->file = file;
    v->path = settings_.library_dir / file;
    v->device_rate = rate;
    v->music = music;
    v->gain = db_to_gain(gain_db);
    v->length_frames = length ? ms_to_frames(*length, rate) : -1;
    v->start_ms = offset.count();
    settings_.open(*v);
    if (!v->failed.load())
        fill_voice(*v, static_cast<std::int64_t>(settings_.prefill_seconds * rate));
    return v;
}

std::shared_ptr<Voice> AudioEngine::make_track(const std::string& file,
                                               const std::vector<TrackLayer>& layers, Ms offset,
                                               Ms length, double gain_db) const {
    if (layers.empty()) return make_voice(file, offset, length, gain_db, true);
    const std::uint64_t piece = ++next_piece_;
    std::shared_ptr<Voice> lead;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        auto v = make_voice(layers[i].file, offset, length, gain_db, true);
        v->piece = piece;
        v->layer_depth = static_cast<float>(layers[i].depth);
        v->layer_below = i > 0 ? static_cast<float>(layers[i - 1].depth) : -1.0f;
        v->layer_above = i + 1 < layers.size() ? static_cast<float>(layers[i + 1].depth) : 2.0f;
        v->piece_file = file; // what a failure names when no layer of the piece plays on
        if (!lead)
            lead = v;
        else
            lead->other_layers.push_back(std::move(v));
    }
    return lead;
}

void AudioEngine::set_group_gain(int group, double gain_db, std::int64_t at_frame,
                                 std::int64_t fade_frames) {
    MixerCommand c;
    c.kind = MixerCommand::Kind::SetGroupGain;
    c.group = group;
    c.db = static_cast<float>(gain_db);
    c.at = at_frame;
    c.fade = fade_frames;
    post(c);
}

void AudioEngine::post(const MixerCommand& c) {
    if (!backlog_.empty() || !mixer_.post(c)) backlog_.push_back(c);
}

void AudioEngine::start(const std::shared_ptr<Voice>& v, std::int64_t at_frame, std::int64_t fade,
                        std::int64_t late_frames) {
    if (!v->other_layers.empty()) {
        // A piece in layers: every layer from the same frame, skipped alike, so they stay in
        // step; a layer that cannot play is reported like a track (the engine moves on).
        std::vector<std::shared_ptr<Voice>> layers = std::exchange(v->other_layers, {});
        layers.insert(layers.begin(), v);
        for (const auto& layer : layers)
            if (layer->failed.load()) {
                failures_.emplace_back(layer->piece_file, layer->error);
                for (const auto& l : layers)
                    l->reported = true;
                return;
            }
        for (const auto& layer : layers)
            start(layer, at_frame, fade, late_frames);
        return;
    }
    if (v->failed.load()) {
        if (v->music) failures_.emplace_back(v->file, v->error);
        v->reported = true;
        return; // never reaches the mixer: the engine moves on to the next track
    }
    // Late (a slow load): start now, where the track is by now. It fades in as always.
    if (v->music) skip(*v, late_frames);
    if (v->music && v->ring.readable() == 0 && v->decoded_all.load()) return; // its time is over
    voices_[v.get()] = v;
    if (decoder_) decoder_->add(v);
    MixerCommand c;
    c.kind = MixerCommand::Kind::StartVoice;
    c.at = at_frame;
    c.voice = v.get();
    c.fade = fade;
    post(c);
}

std::int64_t AudioEngine::skip(Voice& voice, std::int64_t frames) const {
    const auto prefill =
        static_cast<std::int64_t>(settings_.prefill_seconds * mixer_.config().sample_rate);
    // A piece's layers skip alike (they are of one length), so they stay in step.
    for (const auto& layer : voice.other_layers)
        skip_frames(*layer, frames, prefill);
    return skip_frames(voice, frames, prefill);
}

std::shared_ptr<Voice> AudioEngine::load(const Effect& effect) const {
    if (const auto* play = std::get_if<PlayTrack>(&effect.body)) {
        const Ms length = play->info.length - play->position;
        if (length <= Ms{0}) return nullptr;
        return make_track(play->info.file, play->info.layers, play->info.in + play->position,
                          length, play->info.gain_db);
    }
    if (const auto* sound = std::get_if<PlaySound>(&effect.body)) {
        double gain = std::min(sound->gain_db, mixer_.config().max_volume_db);
        if (sound->relative) {
            // Measured like a track (cached beside the library); a file that cannot be
            // measured is taken as 0 LUFS, so it is never louder than asked.
            std::string error;
            const auto loudness = sound_loudness_.get(sound->file, &error);
            gain =
                (loudness ? sound_normalisation_db(*loudness) : kLoudnessTarget) + sound->gain_db;
        }
        auto v = make_voice(sound->file, Ms{0}, std::nullopt, gain, false);
        if (v) v->follows_volume = sound->relative;
        return v;
    }
    return nullptr;
}

std::shared_ptr<Voice> AudioEngine::load(const DesiredState& state) const {
    if (!state.playing || state.status != SessionStatus::Running) return nullptr;
    const NowPlaying& np = *state.playing;
    // The position the track should be at when the voice starts.
    const Ms length = np.length - np.position;
    if (length <= Ms{0}) return nullptr;
    // The desired position is within the playable part; add the file's "in" trim back.
    return make_track(np.file, np.layers, np.in + np.position, length, np.gain_db);
}

void AudioEngine::handle(const Effect& effect, std::int64_t at_frame, std::shared_ptr<Voice> voice,
                         std::int64_t late_frames) {
    const int rate = mixer_.config().sample_rate;
    if (const auto* play = std::get_if<PlayTrack>(&effect.body)) {
        if (voice) start(voice, at_frame, ms_to_frames(play->crossfade, rate), late_frames);
    } else if (const auto* stop = std::get_if<StopMusic>(&effect.body)) {
        MixerCommand c;
        c.kind = MixerCommand::Kind::StopMusic;
        c.at = at_frame;
        c.fade = ms_to_frames(stop->fade, rate);
        post(c);
    } else if (const auto* vol = std::get_if<SetVolume>(&effect.body)) {
        MixerCommand c;
        c.kind = MixerCommand::Kind::SetVolume;
        c.at = at_frame;
        c.fade = ms_to_frames(vol->ramp, rate);
        c.db = static_cast<float>(vol->db);
        post(c);
    } else if (const auto* depth = std::get_if<SetDepth>(&effect.body)) {
        MixerCommand c;
        c.kind = MixerCommand::Kind::SetDepth;
        c.at = at_frame;
        c.fade = ms_to_frames(depth->ramp, rate);
        c.depth = static_cast<float>(depth->depth);
        post(c);
    } else if (std::get_if<PlaySound>(&effect.body)) {
        if (voice)
            start(voice, at_frame, 0); // a one-shot sound plays from its first sample, even late
    }
}

void AudioEngine::reconcile(const DesiredState& state, std::int64_t at_frame,
                            std::int64_t fade_frames, std::shared_ptr<Voice> voice,
                            std::int64_t late_frames) {
    MixerCommand vol;
    vol.kind = MixerCommand::Kind::SetVolume;
    vol.at = at_frame;
    vol.fade = fade_frames;
    vol.db =
        static_cast<float>(state.status == SessionStatus::Running ? state.volume_target_db : -90.0);
    post(vol);
    MixerCommand depth;
    depth.kind = MixerCommand::Kind::SetDepth;
    depth.at = at_frame;
    depth.fade = fade_frames;
    depth.depth = static_cast<float>(state.depth_target);
    post(depth);
    if (!state.playing || state.status != SessionStatus::Running) {
        MixerCommand stop;
        stop.kind = MixerCommand::Kind::StopMusic;
        stop.at = at_frame;
        stop.fade = fade_frames;
        post(stop);
        return;
    }
    if (voice) start(voice, at_frame, fade_frames, late_frames);
}

void AudioEngine::collect() {
    while (!backlog_.empty() && mixer_.post(backlog_.front()))
        backlog_.erase(backlog_.begin());
    while (Voice* v = mixer_.take_retired()) {
        if (decoder_) decoder_->remove(v);
        voices_.erase(v);
    }
    // A voice whose file broke mid-way (truncated, unreadable): report it once, at once,
    // so the engine starts the next track while the ring still plays out. A layer whose
    // piece still has a layer playing is a library fault: the piece goes on without it.
    for (auto& [ptr, v] : voices_) {
        if (!v->failed.load() || !v->music || v->reported) continue;
        v->reported = true;
        const bool piece_plays_on =
            v->piece != 0 && std::any_of(voices_.begin(), voices_.end(), [&](const auto& o) {
                return o.second->piece == v->piece && !o.second->failed.load();
            });
        if (piece_plays_on) {
            layer_faults_.push_back({v->file, v->piece_file, v->error});
            continue;
        }
        failures_.emplace_back(v->piece != 0 ? v->piece_file : v->file, v->error);
        if (v->piece != 0) // the piece is reported once, whichever layers broke with it
            for (auto& [optr, o] : voices_)
                if (o->piece == v->piece) o->reported = true;
    }
}

std::vector<std::pair<std::string, std::string>> AudioEngine::take_failures() {
    return std::exchange(failures_, {});
}

std::vector<AudioEngine::LayerFault> AudioEngine::take_layer_faults() {
    return std::exchange(layer_faults_, {});
}

void AudioEngine::service() {
    for (auto& [ptr, v] : voices_)
        fill_voice(*v, v->ring.capacity());
}

} // namespace stillroom
