// Music sequencing and room targets for a Session: which track plays when, the volume ramp,
// and which scene the lights should be in. Deterministic: shuffles come from the session seed.
#include "engine/session.hpp"

#include "engine/s_curve.hpp"

#include <algorithm>

namespace stillroom {

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::uint64_t fnv1a(const std::string& s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s)
        h = (h ^ c) * 1099511628211ull;
    return h;
}

constexpr std::size_t kMaxSceneHistory = 8;
constexpr Ms kRetryFirst{30'000};    // a failed file is tried again after 30 s,
constexpr Ms kRetryMax{10 * 60'000}; // doubling to at most 10 min

} // namespace

double VolumeRamp::value_at(Ms t) const {
    if (length <= Ms{0} || t >= start + length) return to_db;
    if (t <= start) return from_db;
    return along_s_curve(from_db, to_db,
                         static_cast<double>((t - start).count()) /
                             static_cast<double>(length.count()));
}

double DepthRamp::value_at(Ms t) const {
    if (length <= Ms{0} || t >= start + length) return to;
    if (t <= start) return from;
    return along_s_curve(
        from, to, static_cast<double>((t - start).count()) / static_cast<double>(length.count()));
}

// ---- room targets ----------------------------------------------------------------------

std::string Session::effective_scene() const {
    const auto& tmpl = setup_.tmpl;
    if (lights_up_ && tmpl.lights_up.scene) return *tmpl.lights_up.scene;
    if (status_ != SessionStatus::Running) {
        // The end fade yields to Comfort pressed during it (not to one left on from before).
        if (comfort_ && comfort_in_end_ && tmpl.comfort.scene) return *tmpl.comfort.scene;
        if (tmpl.end.scene) return *tmpl.end.scene;
        return scenes_.empty() ? std::string{} : scenes_.back().scene;
    }
    if (comfort_ && tmpl.comfort.scene) return *tmpl.comfort.scene;
    return base_scene_.value_or(std::string{});
}

double Session::overlay_offset_db() const {
    const auto& tmpl = setup_.tmpl;
    double offset = 0;
    if (comfort_) offset = std::min(offset, tmpl.comfort.volume_offset_db);
    if (lights_up_) offset = std::min(offset, tmpl.lights_up.volume_offset_db);
    return offset;
}

double Session::effective_volume_target() const {
    return std::clamp(base_volume_db_ + trim_db_ + overlay_offset_db(), kMinVolumeDb,
                      setup_.max_volume_db);
}

double Session::effective_depth_target() const {
    // Comfort grounds the room: depth 0 while it is on; the trim is kept, so it comes back.
    if (comfort_) return 0;
    return std::clamp(base_depth_ + depth_trim_, 0.0, 1.0);
}

DepthParts Session::depth_parts() const {
    return {base_depth_, depth_trim_, depth_.to};
}

VolumeParts Session::volume_parts() const {
    return {base_volume_db_, trim_db_, overlay_offset_db(), setup_.max_volume_db, volume_.to_db};
}

void Session::update_room(Ms t, const Transition& tr) {
    if (status_ == SessionStatus::Finished) return;
    const std::string scene = effective_scene();
    if (!scene.empty() && (scenes_.empty() || scenes_.back().scene != scene)) {
        // Forget fades that had completed before the newest one started.
        if (!scenes_.empty()) {
            const SceneFade& last = scenes_.back();
            if (last.start + last.fade <= t) scenes_.erase(scenes_.begin(), scenes_.end() - 1);
        }
        const auto snapshot = setup_.scenes.find(scene);
        SceneLights lights = snapshot == setup_.scenes.end() ? SceneLights{} : snapshot->second;
        scenes_.push_back({scene, t, tr.scene_fade, lights});
        history_.scenes.push_back(scenes_.back());
        if (scenes_.size() > kMaxSceneHistory) scenes_.erase(scenes_.begin());
        emit(t, SetScene{scene, tr.scene_fade, std::move(lights)});
    }
    if (const double depth = effective_depth_target(); depth != depth_.to) {
        depth_ = {depth_.value_at(t), depth, t, tr.volume_ramp};
        history_.depth.push_back(depth_);
        emit(t, SetDepth{depth, tr.volume_ramp});
    }
    if (status_ == SessionStatus::Ending) {
        // The ending fades the music by itself; a volume step or an overlay's offset now
        // changes the level at once (ramped), and the fade carries on from there to silence.
        const double target = effective_volume_target();
        if (target != end_volume_target_db_) {
            const double from = std::clamp(volume_.value_at(t) + target - end_volume_target_db_,
                                           kMinVolumeDb, setup_.max_volume_db);
            end_volume_target_db_ = target;
            const Ms left = end_at_ ? std::max(*end_at_ - t, Ms{0}) : Ms{0};
            volume_ = {from, kMinVolumeDb, t, left};
            history_.volume.push_back(volume_);
            emit(t, SetVolume{target, tr.volume_ramp});
        }
        return;
    }
    if (status_ != SessionStatus::Running) return;
    const double target = effective_volume_target();
    if (target != volume_.to_db) {
        volume_ = {volume_.value_at(t), target, t, tr.volume_ramp};
        history_.volume.push_back(volume_);
        emit(t, SetVolume{target, tr.volume_ramp});
    }
    emit_now_playing(t, tr.crossfade);
}

// ---- playback --------------------------------------------------------------------------

Playback* Session::active_playback() {
    if (comfort_ && setup_.tmpl.comfort.playlist) return &comfort_pb_;
    return &base_;
}

const Playback* Session::active_playback() const {
    if (comfort_ && setup_.tmpl.comfort.playlist) return &comfort_pb_;
    return &base_;
}

void Session::reshuffle(Playback& pb) const {
    const int previous_last = pb.order.empty() ? -1 : pb.order.back();
    pb.order.clear();
    auto it = setup_.playlists.find(pb.playlist);
    if (it == setup_.playlists.end()) return;
    const PlaylistInfo& info = it->second;
    for (std::size_t i = 0; i < info.tracks.size(); ++i)
        if (info.tracks[i].length > Ms{0}) pb.order.push_back(static_cast<int>(i));
    if (info.order != PlayOrder::Shuffle || pb.order.size() < 2) return;
    std::uint64_t state = setup_.seed ^ fnv1a(pb.playlist) ^
                          (static_cast<std::uint64_t>(pb.pass) * 0xD1B54A32D192ED03ull);
    for (std::size_t i = pb.order.size() - 1; i > 0; --i) {
        const std::size_t j = splitmix64(state) % (i + 1);
        std::swap(pb.order[i], pb.order[j]);
    }
    // Never the same track twice in a row across a loop.
    if (pb.order.front() == previous_last) std::swap(pb.order[0], pb.order[1]);
}

void Session::start_playback(Playback& pb, const std::string& playlist, Ms t) {
    pb = Playback{};
    pb.playlist = playlist;
    pb.serial = ++next_serial_;
    reshuffle(pb);
    pb.started = t;
    pb.running = !pb.order.empty();
    pb.finished = pb.order.empty();
}

const TrackInfo* Session::current_track(const Playback& pb) const {
    if (pb.finished || pb.order.empty() || pb.slot < 0 ||
        static_cast<std::size_t>(pb.slot) >= pb.order.size())
        return nullptr;
    auto it = setup_.playlists.find(pb.playlist);
    if (it == setup_.playlists.end()) return nullptr;
    const auto index = static_cast<std::size_t>(pb.order[static_cast<std::size_t>(pb.slot)]);
    if (index >= it->second.tracks.size()) return nullptr;
    return &it->second.tracks[index];
}

Ms Session::track_crossfade(const Playback& pb) const {
    auto it = setup_.playlists.find(pb.playlist);
    return it == setup_.playlists.end() ? Ms{0} : it->second.crossfade;
}

Ms Session::track_position(const Playback& pb, Ms t) const {
    return pb.running ? pb.offset + (t - pb.started) : pb.offset;
}

std::optional<Ms> Session::track_change_due(const Playback& pb) const {
    if (!pb.running || pb.finished) return std::nullopt;
    const TrackInfo* track = current_track(pb);
    if (!track) return std::nullopt;
    const Ms remaining = track->length - pb.offset;
    auto it = setup_.playlists.find(pb.playlist);
    const bool last = !it->second.loop && static_cast<std::size_t>(pb.slot + 1) >= pb.order.size();
    if (last) return pb.started + std::max(remaining, Ms{0});
    const Ms xfade = std::min(track_crossfade(pb), remaining / 2);
    return pb.started + std::max(remaining - xfade, Ms{1});
}

bool Session::advance_track(Playback& pb, Ms t) {
    auto it = setup_.playlists.find(pb.playlist);
    if (it == setup_.playlists.end() || pb.order.empty()) {
        pb.finished = true;
        pb.running = false;
        return false;
    }
    ++pb.slot;
    if (static_cast<std::size_t>(pb.slot) >= pb.order.size()) {
        if (!it->second.loop) {
            pb.finished = true;
            pb.running = false;
            pb.serial = ++next_serial_;
            return false;
        }
        ++pb.pass;
        reshuffle(pb);
        pb.slot = 0;
        if (pb.order.empty()) {
            pb.finished = true;
            pb.running = false;
            return false;
        }
    }
    pb.started = t;
    pb.offset = Ms{0};
    pb.running = true;
    pb.serial = ++next_serial_;
    return true;
}

void Session::suspend_playback(Playback& pb, Ms t) {
    if (!pb.running) return;
    pb.offset = track_position(pb, t);
    pb.running = false;
}

void Session::resume_playback(Playback& pb, Ms t) {
    if (pb.running || pb.finished || pb.order.empty()) return;
    pb.started = t;
    pb.running = true;
}

void Session::emit_now_playing(Ms t, std::optional<Ms> crossfade) {
    if (status_ != SessionStatus::Running) return;
    Playback* pb = active_playback();
    const TrackInfo* track = pb ? current_track(*pb) : nullptr;
    if (!track || !pb->running) {
        if (!music_stopped_) {
            emit(t, StopMusic{crossfade.value_or(pb ? track_crossfade(*pb) : Ms{0})});
            record_event(t, {{"event", "silence"}});
            music_stopped_ = true;
            emitted_playlist_.clear();
        }
        return;
    }
    const bool is_comfort = pb == &comfort_pb_;
    if (!music_stopped_ && emitted_comfort_ == is_comfort && emitted_playlist_ == pb->playlist &&
        emitted_serial_ == pb->serial)
        return;
    PlayTrack play;
    play.playlist = pb->playlist;
    play.track = pb->order[static_cast<std::size_t>(pb->slot)];
    play.info = *track;
    play.position = track_position(*pb, t);
    play.crossfade = crossfade.value_or(track_crossfade(*pb));
    record_event(t, {{"event", "track"},
                     {"playlist", play.playlist},
                     {"track", play.track},
                     {"position_ms", play.position.count()}});
    emit(t, std::move(play));
    music_stopped_ = false;
    emitted_comfort_ = is_comfort;
    emitted_playlist_ = pb->playlist;
    emitted_serial_ = pb->serial;
}

void Session::mark_unplayable(const std::string& file, Ms t) {
    bool changed = false;
    auto& saved = saved_lengths_[file];
    for (auto& [id, playlist] : setup_.playlists) {
        for (std::size_t i = 0; i < playlist.tracks.size(); ++i) {
            auto& track = playlist.tracks[i];
            if (track.file == file && track.length > Ms{0}) {
                saved.push_back({{id, i}, track.length});
                track.length = Ms{0};
                changed = true;
            }
        }
    }
    if (!changed) return;
    // A media fault, tried again later: 30 s, then doubling, at most 10 min apart.
    MediaFault& fault = media_faults_[file];
    fault.file = file;
    fault.failures = std::min(fault.failures + 1, 16);
    fault.failed_at = t;
    fault.retry_at = t + std::min(kRetryFirst * (1 << std::min(fault.failures - 1, 5)), kRetryMax);
    for (Playback* pb : {&base_, &comfort_pb_}) {
        if (pb->playlist.empty() || pb->finished) continue;
        const TrackInfo* current = current_track(*pb);
        const int current_index = current ? pb->order[static_cast<std::size_t>(pb->slot)] : -1;
        // Drop unplayable tracks from the order, keeping the slot on the same track.
        auto it = setup_.playlists.find(pb->playlist);
        std::vector<int> kept;
        int new_slot = -1;
        for (std::size_t s = 0; s < pb->order.size(); ++s) {
            const int idx = pb->order[s];
            if (it->second.tracks[static_cast<std::size_t>(idx)].length > Ms{0}) {
                if (static_cast<int>(s) <= pb->slot) new_slot = static_cast<int>(kept.size());
                kept.push_back(idx);
            }
        }
        const bool current_gone =
            current_index >= 0 &&
            it->second.tracks[static_cast<std::size_t>(current_index)].length == Ms{0};
        pb->order = kept;
        if (current_gone) {
            // The failed track is replaced at once by the next one, from its start.
            const bool was_running = pb->running;
            pb->slot = new_slot; // the last kept track before the failed one (or -1)
            if (advance_track(*pb, now_)) pb->running = was_running;
        } else {
            pb->slot = std::max(new_slot, 0);
        }
        if (pb->order.empty()) {
            pb->finished = true;
            pb->running = false;
        }
    }
    emit_now_playing(now_, std::min(Ms{3000}, track_crossfade(*active_playback())));
}

std::optional<Ms> Session::next_retry(std::string* file) const {
    std::optional<Ms> when;
    for (const auto& [name, fault] : media_faults_) {
        if (fault.retry_at && (!when || *fault.retry_at < *when)) {
            when = fault.retry_at;
            if (file) *file = name;
        }
    }
    return when;
}

void Session::retry_file(const std::string& file, Ms t) {
    auto fault = media_faults_.find(file);
    if (fault == media_faults_.end()) return;
    fault->second.retry_at.reset(); // back on trial; a new failure takes it out again, for longer
    record_event(t, {{"event", "track_retry"}, {"file", file}});
    for (const auto& [where, length] : saved_lengths_[file]) {
        auto it = setup_.playlists.find(where.first);
        if (it != setup_.playlists.end() && where.second < it->second.tracks.size())
            it->second.tracks[where.second].length = length;
    }
    saved_lengths_.erase(file);
    for (Playback* pb : {&base_, &comfort_pb_}) {
        if (pb->playlist.empty()) continue;
        auto it = setup_.playlists.find(pb->playlist);
        if (it == setup_.playlists.end()) continue;
        std::vector<int> back; // this playlist's tracks that come back
        for (std::size_t i = 0; i < it->second.tracks.size(); ++i) {
            const int idx = static_cast<int>(i);
            if (it->second.tracks[i].file == file && it->second.tracks[i].length > Ms{0} &&
                std::find(pb->order.begin(), pb->order.end(), idx) == pb->order.end())
                back.push_back(idx);
        }
        if (back.empty()) continue;
        if (pb->finished && pb->order.empty()) {
            // Every track had failed (the room went silent): play again from the top.
            const bool active = pb == active_playback(); // the base waits while Comfort plays
            reshuffle(*pb);
            pb->slot = 0;
            pb->offset = Ms{0};
            pb->started = t;
            pb->finished = pb->order.empty();
            pb->running = !pb->finished && active;
            pb->serial = ++next_serial_;
            continue;
        }
        if (pb->finished) continue; // a playlist that ended by itself stays ended
        // Back later in this pass, after the tracks still to come.
        pb->order.insert(pb->order.end(), back.begin(), back.end());
    }
    emit_now_playing(t, std::min(Ms{3000}, track_crossfade(*active_playback())));
}

} // namespace stillroom
