// Effects to voices and mixer commands.
#include "playlists/audio_engine.hpp"

#include <cmath>

namespace stillroom {

namespace {

std::int64_t ms_to_frames(Ms ms, int rate) { return ms.count() * rate / 1000; }

} // namespace

AudioEngine::AudioEngine(AudioEngineSettings settings, Mixer& mixer, Decoder* decoder)
    : settings_(std::move(settings)), mixer_(mixer), decoder_(decoder),
      sound_loudness_(settings_.library_dir) {}

AudioEngine::~AudioEngine() {
    if (decoder_)
        for (auto& [ptr, v] : voices_) decoder_->remove(ptr);
}

std::shared_ptr<Voice> AudioEngine::make_voice(const std::string& file, Ms offset, std::optional<Ms> length,
                                               double gain_db, bool music) {
    const int rate = mixer_.config().sample_rate;
    auto v = std::make_shared<Voice>(static_cast<std::int64_t>(settings_.ring_seconds * rate));
    v->file = file;
    v->path = settings_.library_dir / file;
    v->device_rate = rate;
    v->music = music;
    v->gain = db_to_gain(gain_db);
    v->length_frames = length ? ms_to_frames(*length, rate) : -1;
    v->start_ms = offset.count();
    open_voice(*v);
    if (!v->failed.load()) fill_voice(*v, static_cast<std::int64_t>(settings_.prefill_seconds * rate));
    return v;
}

void AudioEngine::set_group_gain(int group, double gain_db, std::int64_t at_frame, std::int64_t fade_frames) {
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

void AudioEngine::start(const std::shared_ptr<Voice>& v, std::int64_t at_frame, std::int64_t fade) {
    if (v->failed.load()) {
        if (v->music) failures_.emplace_back(v->file, v->error);
        v->reported = true;
        return; // never reaches the mixer: the engine moves on to the next track
    }
    voices_[v.get()] = v;
    if (decoder_) decoder_->add(v);
    MixerCommand c;
    c.kind = MixerCommand::Kind::StartVoice;
    c.at = at_frame;
    c.voice = v.get();
    c.fade = fade;
    post(c);
}

void AudioEngine::handle(const Effect& effect, std::int64_t at_frame) {
    const int rate = mixer_.config().sample_rate;
    if (const auto* play = std::get_if<PlayTrack>(&effect.body)) {
        const Ms length = play->info.length - play->position;
        if (length <= Ms{0}) return;
        auto v = make_voice(play->info.file, play->info.in + play->position, length, play->info.gain_db, true);
        start(v, at_frame, ms_to_frames(play->crossfade, rate));
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
    } else if (const auto* sound = std::get_if<PlaySound>(&effect.body)) {
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
        v->follows_volume = sound->relative;
        start(v, at_frame, 0);
    }
}

void AudioEngine::reconcile(const DesiredState& state, std::int64_t at_frame, std::int64_t fade_frames) {
    MixerCommand vol;
    vol.kind = MixerCommand::Kind::SetVolume;
    vol.at = at_frame;
    vol.fade = fade_frames;
    vol.db = static_cast<float>(state.status == SessionStatus::Running ? state.volume_target_db : -90.0);
    post(vol);
    if (!state.playing || state.status != SessionStatus::Running) {
        MixerCommand stop;
        stop.kind = MixerCommand::Kind::StopMusic;
        stop.at = at_frame;
        stop.fade = fade_frames;
        post(stop);
        return;
    }
    const NowPlaying& np = *state.playing;
    // The position the track should be at when the voice starts.
    const Ms position = np.position;
    const Ms length = np.length - position;
    if (length <= Ms{0}) return;
    // The desired position is within the playable part; add the file's "in" trim back.
    auto v = make_voice(np.file, np.in + position, length, np.gain_db, true);
    start(v, at_frame, fade_frames);
}

void AudioEngine::collect() {
    while (!backlog_.empty() && mixer_.post(backlog_.front())) backlog_.erase(backlog_.begin());
    while (Voice* v = mixer_.take_retired()) {
        if (decoder_) decoder_->remove(v);
        voices_.erase(v);
    }
    // A voice whose file broke mid-way (truncated, unreadable): report it once, at once,
    // so the engine starts the next track while the ring still plays out.
    for (auto& [ptr, v] : voices_) {
        if (v->failed.load() && v->music && !v->reported) {
            failures_.emplace_back(v->file, v->error);
            v->reported = true;
        }
    }
}

std::vector<std::pair<std::string, std::string>> AudioEngine::take_failures() {
    return std::exchange(failures_, {});
}

void AudioEngine::service() {
    for (auto& [ptr, v] : voices_) fill_voice(*v, v->ring.capacity());
}

} // namespace stillroom
