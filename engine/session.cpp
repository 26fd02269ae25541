// The session state machine: phases, cues and commands. Music and room targets are in
// session_playback.cpp. Everything here is deterministic in (commands, times).
#include "engine/session.hpp"

#include "engine/duration.hpp"

#include <algorithm>
#include <cmath>

namespace stillroom {

namespace {

constexpr Ms kDefaultSceneFade = std::chrono::seconds{60};
constexpr Ms kDefaultPhaseRamp = std::chrono::seconds{10};
constexpr Ms kCueVolumeRamp = std::chrono::seconds{5};
constexpr Ms kTherapistVolumeRamp = Ms{1500};
// The layers cross over, and the lights move, over this when the therapist changes depth.
constexpr Ms kTherapistDepthRamp = Ms{3000};
constexpr Ms kLightsUpReturnFade = std::chrono::seconds{30};
// After Lights up or Comfort the level returns at most this far above where it was before.
constexpr double kOverlayTrimReturnDb = 6.0;
// Guards against a pathological library (thousands of 1 ms tracks) stalling a caller.
constexpr int kMaxEventsPerCall = 200000;

} // namespace

const char* to_string(SessionStatus s) {
    switch (s) {
    case SessionStatus::Running:
        return "running";
    case SessionStatus::Ending:
        return "ending";
    case SessionStatus::Finished:
        return "finished";
    }
    return "running";
}

Session::Session(SessionSetup setup) : setup_(std::move(setup)) {
    const auto n = setup_.tmpl.phases.size();
    phase_started_.assign(n, std::nullopt);
    phase_extra_.assign(n, Ms{0});
    cue_fired_.assign(setup_.tmpl.cues.size(), false);
    history_.phase_ended.assign(n, std::nullopt);
    history_.cue_fired.assign(setup_.tmpl.cues.size(), std::nullopt);
}

std::vector<std::string> vitals_flags(const VitalsRecord& v, const VitalsAlert& alert) {
    std::vector<std::string> flags;
    if (v.systolic && *v.systolic > alert.systolic_max) flags.push_back("systolic_high");
    if (v.diastolic && *v.diastolic > alert.diastolic_max) flags.push_back("diastolic_high");
    if (v.hr && *v.hr < alert.hr_min) flags.push_back("hr_low");
    if (v.hr && *v.hr > alert.hr_max) flags.push_back("hr_high");
    if (v.spo2 && *v.spo2 < alert.spo2_min) flags.push_back("spo2_low");
    return flags;
}

bool Session::booster_available() const {
    const auto& tmpl = setup_.tmpl;
    if (!tmpl.booster || !dose_at_ || booster_at_ || status_ != SessionStatus::Running)
        return false;
    return tmpl.phase_index(tmpl.booster->extend) >= phase_;
}

void Session::episode(const char* kind, bool on, Ms t) {
    if (on) {
        history_.episodes.push_back({kind, t, std::nullopt});
        return;
    }
    for (auto it = history_.episodes.rbegin(); it != history_.episodes.rend(); ++it)
        if (it->kind == kind && !it->end) {
            it->end = t;
            return;
        }
}

Effects Session::start() {
    out_.clear();
    if (started_ || setup_.tmpl.phases.empty()) return {};
    started_ = true;
    Json playlists = Json::object();
    for (const auto& [id, p] : setup_.playlists)
        playlists[id] = to_json(p);
    Json scene_fades = Json::object();
    for (const auto& [id, f] : setup_.scene_fades)
        scene_fades[id] = f.count();
    Json scenes = Json::object();
    for (const auto& [id, lights] : setup_.scenes)
        scenes[id] = to_json(lights);
    emit(Ms{0}, JournalRecord{{{"type", "start"},
                               {"v", 1},
                               {"t", 0},
                               {"id", setup_.id},
                               {"label", setup_.label},
                               {"seed", setup_.seed},
                               {"wall_start_ms", setup_.wall_start_ms},
                               {"utc_offset_min", setup_.utc_offset_min},
                               {"template_id", setup_.tmpl.id},
                               {"template", setup_.template_json},
                               {"playlists", playlists},
                               {"scene_fades_ms", scene_fades},
                               {"scenes", scenes},
                               {"max_volume_db", setup_.max_volume_db}}});
    enter_phase(0, Ms{0}, true);
    while (process_one(Ms{0})) {
    }
    note_silence(Ms{0});
    return std::move(out_);
}

Effects Session::advance_to(Ms t) {
    out_.clear();
    if (!started_) return {};
    int guard = 0;
    while (process_one(t) && ++guard < kMaxEventsPerCall) {
    }
    if (t > now_) now_ = t;
    return std::move(out_);
}

Outcome Session::apply(const Command& cmd, Ms t) {
    out_.clear();
    if (!started_) return {false, "the session has not started", {}};
    if (t < now_) t = now_;
    int guard = 0;
    while (process_one(t) && ++guard < kMaxEventsPerCall) {
    }
    now_ = t;
    Effects before = std::move(out_);
    out_.clear();
    Outcome outcome = apply_command(cmd, t);
    if (outcome.accepted) {
        while (process_one(t) && ++guard < kMaxEventsPerCall) {
        }
        note_silence(t);
    }
    Effects after = std::move(out_);
    out_.clear();
    before.insert(before.end(), std::make_move_iterator(outcome.effects.begin()),
                  std::make_move_iterator(outcome.effects.end()));
    before.insert(before.end(), std::make_move_iterator(after.begin()),
                  std::make_move_iterator(after.end()));
    outcome.effects = std::move(before);
    return outcome;
}

Outcome Session::refuse(const Command& cmd, std::string reason) {
    Outcome o;
    o.accepted = false;
    o.reason = reason;
    o.effects.push_back({now_, JournalRecord{{{"type", "refused"},
                                              {"t", now_.count()},
                                              {"cmd", command_name(cmd.kind)},
                                              {"reason", reason}}}});
    return o;
}

void Session::record_command(const Command& cmd, Ms t) {
    emit(t, JournalRecord{{{"type", "cmd"},
                           {"t", t.count()},
                           {"cmd", command_name(cmd.kind)},
                           {"args", command_args_json(cmd)}}});
}

void Session::record_event(Ms t, Json event) {
    Json rec = {{"type", "event"}, {"t", t.count()}};
    for (auto& [k, v] : event.items())
        rec[k] = v;
    emit(t, JournalRecord{std::move(rec)});
}

// ---- phases ----------------------------------------------------------------------------

Ms Session::phase_planned() const {
    const auto& p = setup_.tmpl.phases[static_cast<std::size_t>(phase_)];
    return p.duration + phase_extra_[static_cast<std::size_t>(phase_)];
}

Ms Session::phase_elapsed_at(Ms t) const {
    const auto& started = phase_started_[static_cast<std::size_t>(phase_)];
    if (!started) return Ms{0};
    Ms e = t - *started - paused_total_;
    if (paused_since_) e -= t - *paused_since_;
    return std::max(e, Ms{0});
}

std::optional<Ms> Session::phase_end_due() const {
    if (status_ != SessionStatus::Running || paused()) return std::nullopt;
    const auto& p = setup_.tmpl.phases[static_cast<std::size_t>(phase_)];
    if (p.until != PhaseEnd::Time) return std::nullopt;
    return *phase_started_[static_cast<std::size_t>(phase_)] + phase_planned() + paused_total_;
}

void Session::set_paused(Ms t, bool held, bool comfort) {
    const bool was = held_ || comfort_;
    const bool now = held || comfort;
    if (was && !now && paused_since_) {
        paused_total_ += t - *paused_since_;
        paused_since_.reset();
    } else if (!was && now) {
        paused_since_ = t;
    }
    held_ = held;
    comfort_ = comfort;
}

void Session::enter_phase(int index, Ms t, bool first) {
    const auto& p = setup_.tmpl.phases[static_cast<std::size_t>(index)];
    if (!first) history_.phase_ended[static_cast<std::size_t>(phase_)] = t;
    if (held_) episode("hold", false, t);
    phase_ = index;
    phase_started_[static_cast<std::size_t>(index)] = t;
    paused_total_ = Ms{0};
    held_ = false;
    paused_since_ = comfort_ ? std::optional<Ms>(t) : std::nullopt;
    emit(t, PhaseStarted{index, p.id, p.name});
    record_event(t, {{"event", "phase"}, {"phase", p.id}});
    if (p.scene) base_scene_ = p.scene;
    if (p.volume_db) base_volume_db_ = std::min(*p.volume_db, setup_.max_volume_db);
    if (p.depth) base_depth_ = *p.depth;
    if (p.playlist && *p.playlist != base_.playlist) {
        start_playback(base_, *p.playlist, t);
        if (comfort_ && setup_.tmpl.comfort.playlist) suspend_playback(base_, t);
    }
    Transition tr;
    const Ms scene_default = p.scene && setup_.scene_fades.count(*p.scene)
                                 ? setup_.scene_fades.at(*p.scene)
                                 : kDefaultSceneFade;
    tr.scene_fade = p.fade.value_or(scene_default);
    tr.volume_ramp = p.fade.value_or(kDefaultPhaseRamp);
    tr.crossfade = p.crossfade;
    if (first) tr.crossfade = p.crossfade.value_or(Ms{0}); // fade in by volume, not crossfade
    update_room(t, tr);
}

void Session::note_silence(Ms t) {
    const auto& phase = setup_.tmpl.phases[static_cast<std::size_t>(phase_)];
    const Playback* pb = active_playback();
    const bool wants_music =
        status_ == SessionStatus::Running &&
        (phase.playlist.has_value() || (comfort_ && setup_.tmpl.comfort.playlist));
    const bool plays = pb && pb->running && !pb->finished && current_track(*pb);
    const bool silent = wants_music && !plays;
    if (silent && !silent_since_) {
        silent_since_ = t;
    } else if (!silent && silent_since_) {
        const Ms length = t - *silent_since_;
        silent_since_.reset();
        if (length > kSilenceAlert)
            record_event(
                t, {{"event", "silence"},
                    {"seconds", std::chrono::duration_cast<std::chrono::seconds>(length).count()}});
    }
}

void Session::begin_end(Ms t) {
    end_volume_target_db_ = effective_volume_target(); // what the music is at as it fades
    status_ = SessionStatus::Ending;
    end_at_ = t + setup_.tmpl.end.fade;
    history_.phase_ended[static_cast<std::size_t>(phase_)] = t;
    history_.end_pressed = t;
    for (auto& e : history_.episodes)
        if (!e.end) e.end = t;
    record_event(t, {{"event", "ending"}});
    emit(t, StopMusic{setup_.tmpl.end.fade});
    music_stopped_ = true;
    volume_ = {volume_.value_at(t), kMinVolumeDb, t, setup_.tmpl.end.fade};
    history_.volume.push_back(volume_);
    Transition tr;
    tr.scene_fade = setup_.tmpl.end.fade;
    update_room(t, tr);
}

// ---- cues ------------------------------------------------------------------------------

std::optional<Ms> Session::cue_due(std::size_t i) const {
    const Cue& c = setup_.tmpl.cues[i];
    switch (c.at.anchor) {
    case AnchorKind::Start:
        return c.at.offset;
    case AnchorKind::Dose:
        if (!dose_at_) return std::nullopt;
        return *dose_at_ + c.at.offset;
    case AnchorKind::Phase: {
        const int idx = setup_.tmpl.phase_index(c.at.phase_id);
        if (idx < 0 || !phase_started_[static_cast<std::size_t>(idx)]) return std::nullopt;
        return *phase_started_[static_cast<std::size_t>(idx)] + c.at.offset;
    }
    }
    return std::nullopt;
}

void Session::fire_cue(std::size_t i, Ms t) {
    cue_fired_[i] = true;
    history_.cue_fired[i] = t;
    const Cue& c = setup_.tmpl.cues[i];
    const int index = static_cast<int>(i);
    record_event(t, {{"event", "cue"}, {"cue", index}});
    if (c.remind) {
        reminders_.push_back({index, *c.remind, c.vitals, t});
        history_.reminders.push_back({index, t, std::nullopt});
        emit(t, Reminder{index, *c.remind, c.vitals});
    }
    if (c.volume_db || c.depth) {
        if (c.volume_db) base_volume_db_ = std::min(*c.volume_db, setup_.max_volume_db);
        if (c.depth) base_depth_ = *c.depth;
        update_room(t, {Ms{0}, c.ramp.value_or(kCueVolumeRamp), std::nullopt});
    }
    if (c.scene) {
        base_scene_ = c.scene;
        const Ms scene_default = setup_.scene_fades.count(*c.scene)
                                     ? setup_.scene_fades.at(*c.scene)
                                     : kDefaultSceneFade;
        update_room(t, {c.fade.value_or(scene_default), Ms{0}, std::nullopt});
    }
    if (c.playlist && *c.playlist != base_.playlist) {
        start_playback(base_, *c.playlist, t);
        if (comfort_ && setup_.tmpl.comfort.playlist) suspend_playback(base_, t);
        update_room(t, {Ms{0}, Ms{0}, std::nullopt});
    }
    if (c.sound) emit(t, PlaySound{*c.sound, c.gain_db});
    if (c.midi) emit(t, SendMidi{c.midi->output, c.midi->bytes});
    if (c.mqtt) emit(t, PublishMqtt{c.mqtt->topic, c.mqtt->payload, c.mqtt->retain});
}

// ---- the event loop --------------------------------------------------------------------

Session::Due Session::next_event(Ms& when, std::size_t& cue_index) const {
    Due kind = Due::None;
    auto consider = [&](std::optional<Ms> t, Due k) {
        if (t && (kind == Due::None || *t < when)) {
            when = *t;
            kind = k;
        }
    };
    if (status_ == SessionStatus::Ending) consider(end_at_, Due::Finish);
    if (status_ != SessionStatus::Running) return kind;
    consider(phase_end_due(), Due::PhaseEnd);
    for (std::size_t i = 0; i < cue_fired_.size(); ++i) {
        if (cue_fired_[i]) continue;
        auto due = cue_due(i);
        if (due && (kind == Due::None || *due < when)) {
            when = *due;
            kind = Due::Cue;
            cue_index = i;
        }
    }
    if (const Playback* pb = active_playback()) consider(track_change_due(*pb), Due::Track);
    consider(next_retry(nullptr), Due::Retry);
    return kind;
}

std::optional<Ms> Session::next_due() const {
    Ms when{0};
    std::size_t cue = 0;
    if (next_event(when, cue) == Due::None) return std::nullopt;
    return std::max(when, now_);
}

bool Session::process_one(Ms limit) {
    Ms when{0};
    std::size_t cue = 0;
    const Due kind = next_event(when, cue);
    if (kind == Due::None || when > limit) return false;
    when = std::max(when, now_); // a cue whose anchor + offset is already past fires now
    now_ = when;
    switch (kind) {
    case Due::Finish:
        status_ = SessionStatus::Finished;
        end_at_.reset();
        history_.finished = when;
        base_.running = false;
        comfort_pb_.running = false;
        emit(when, JournalRecord{{{"type", "finished"}, {"t", when.count()}}});
        emit(when, SessionFinished{});
        break;
    case Due::PhaseEnd:
        if (static_cast<std::size_t>(phase_ + 1) < setup_.tmpl.phases.size())
            enter_phase(phase_ + 1, when, false);
        else
            begin_end(when);
        break;
    case Due::Cue:
        fire_cue(cue, when);
        break;
    case Due::Track: {
        Playback* pb = active_playback();
        const Ms xfade = track_crossfade(*pb);
        const Ms remaining = current_track(*pb)->length - track_position(*pb, when);
        advance_track(*pb, when);
        emit_now_playing(when, std::min(xfade, std::max(remaining, Ms{0})));
        break;
    }
    case Due::Retry: {
        std::string file;
        if (next_retry(&file)) retry_file(file, when);
        break;
    }
    case Due::None:
        return false;
    }
    note_silence(when);
    return true;
}

// ---- commands --------------------------------------------------------------------------

Outcome Session::apply_command(const Command& cmd, Ms t) {
    if (status_ == SessionStatus::Finished) return refuse(cmd, "the session has finished");
    if (status_ == SessionStatus::Ending) {
        // Until the room is idle the therapist keeps Lights up, Comfort and Volume: the end
        // fade yields to them (issue 19 item 2).
        const bool allowed = cmd.kind == CommandKind::Vitals || cmd.kind == CommandKind::Ack ||
                             cmd.kind == CommandKind::End || cmd.kind == CommandKind::TrackFailed ||
                             cmd.kind == CommandKind::Observe || cmd.kind == CommandKind::Comfort ||
                             cmd.kind == CommandKind::LightsUp || cmd.kind == CommandKind::Volume ||
                             cmd.kind == CommandKind::Discharge || cmd.kind == CommandKind::Depth;
        if (!allowed) return refuse(cmd, "the session is ending");
    }
    Outcome ok{true, "", {}};
    auto accept = [&](std::string note = {}) {
        record_command(cmd, t);
        ok.reason = std::move(note);
        return ok;
    };
    switch (cmd.kind) {
    case CommandKind::Dose:
        return do_dose(cmd, t);
    case CommandKind::Next:
        return do_next(cmd, t);
    case CommandKind::Hold:
        if (held_) return accept("already on hold");
        record_command(cmd, t);
        set_paused(t, true, comfort_);
        episode("hold", true, t);
        return ok;
    case CommandKind::Resume:
        if (!held_) return accept("not on hold");
        record_command(cmd, t);
        set_paused(t, false, comfort_);
        episode("hold", false, t);
        return ok;
    case CommandKind::Extend:
        if (cmd.amount <= Ms{0} || cmd.amount > std::chrono::hours{2})
            return refuse(cmd, "extend by 1 second to 2 hours");
        record_command(cmd, t);
        phase_extra_[static_cast<std::size_t>(phase_)] += cmd.amount;
        return ok;
    case CommandKind::Comfort:
    case CommandKind::LightsUp:
        return do_overlay(cmd, t);
    case CommandKind::End:
        if (status_ == SessionStatus::Ending) return accept("already ending");
        record_command(cmd, t);
        begin_end(t);
        return ok;
    case CommandKind::Volume:
        return do_volume(cmd, t);
    case CommandKind::Depth:
        return do_depth(cmd, t);
    case CommandKind::Skip: {
        Playback* pb = active_playback();
        if (!pb || pb->finished || !pb->running || !current_track(*pb))
            return refuse(cmd, "no music is playing");
        record_command(cmd, t);
        const Ms xfade = std::min(track_crossfade(*pb), Ms{6000});
        advance_track(*pb, t);
        emit_now_playing(t, xfade);
        return ok;
    }
    case CommandKind::Vitals: {
        record_command(cmd, t);
        vitals_.push_back({t, cmd.vitals.systolic, cmd.vitals.diastolic, cmd.vitals.hr,
                           cmd.vitals.spo2, cmd.source});
        if (auto flags = vitals_flags(vitals_.back(), setup_.tmpl.vitals_alert); !flags.empty())
            record_event(t, {{"event", "vitals_alert"}, {"flags", flags}});
        if (cmd.cue >= 0) {
            std::erase_if(reminders_, [&](const PendingReminder& r) { return r.cue == cmd.cue; });
            for (auto& r : history_.reminders)
                if (r.cue == cmd.cue && !r.done_at) r.done_at = t;
        }
        return ok;
    }
    case CommandKind::Ack: {
        auto it = std::find_if(reminders_.begin(), reminders_.end(),
                               [&](const PendingReminder& r) { return r.cue == cmd.cue; });
        if (it == reminders_.end())
            return refuse(cmd, "no reminder from cue " + std::to_string(cmd.cue) + " is waiting");
        record_command(cmd, t);
        reminders_.erase(it);
        for (auto& r : history_.reminders)
            if (r.cue == cmd.cue && !r.done_at) r.done_at = t;
        return ok;
    }
    case CommandKind::TrackFailed:
        record_command(cmd, t);
        mark_unplayable(cmd.file, t);
        return ok;
    case CommandKind::Observe: {
        const auto& vocabulary = setup_.tmpl.observations;
        if (std::find(vocabulary.begin(), vocabulary.end(), cmd.code) == vocabulary.end())
            return refuse(cmd, "\"" + cmd.code + "\" is not an observation this session offers");
        record_command(cmd, t);
        return ok;
    }
    case CommandKind::Discharge:
        return do_discharge(cmd, t);
    }
    return refuse(cmd, "unknown command");
}

// The parts of the discharge checklist the session knows: a monitoring clock, the dose, the
// time. The last blood pressure (which corrections may have changed) the room checks first
// (runtime/monitoring.hpp); the therapist confirms sedation and dissociation in the command.
Outcome Session::do_discharge(const Command& cmd, Ms t) {
    const auto& monitoring = setup_.tmpl.monitoring;
    if (!monitoring) return refuse(cmd, "this session has no monitoring clock");
    if (discharged_at_)
        return refuse(cmd,
                      "already discharged at " + format_clock(*discharged_at_) + " after start");
    if (!dose_at_) return refuse(cmd, "monitoring_time: no dose is marked");
    if (t - *dose_at_ < monitoring->after_dose)
        return refuse(cmd, "monitoring_time: " +
                               format_clock(monitoring->after_dose - (t - *dose_at_)) + " left");
    record_command(cmd, t);
    discharged_at_ = t;
    return {true, "", {}};
}

Outcome Session::do_dose(const Command& cmd, Ms t) {
    const auto& tmpl = setup_.tmpl;
    if (auto why = check_dose_values(tmpl.dose.fields, cmd.amount_mg, cmd.route); !why.empty()) {
        Outcome o = refuse(cmd, why);
        o.bad_input = true;
        return o;
    }
    if (cmd.booster) {
        if (!tmpl.booster) return refuse(cmd, "this session has no booster");
        if (!dose_at_) return refuse(cmd, "mark the dose before the booster");
        if (booster_at_)
            return refuse(cmd, "the booster was already marked at " +
                                   format_clock(*booster_at_ - *dose_at_) + " after the dose");
        const int target = tmpl.phase_index(tmpl.booster->extend);
        if (target < phase_)
            return refuse(cmd, "phase \"" + tmpl.booster->extend + "\" has already ended");
        record_command(cmd, t);
        booster_at_ = t;
        phase_extra_[static_cast<std::size_t>(target)] += tmpl.booster->by;
        return {true, "", {}};
    }
    if (dose_at_)
        return refuse(cmd,
                      "the dose was already marked at " + format_clock(*dose_at_) + " after start");
    record_command(cmd, t);
    dose_at_ = t;
    const int dose_phase = tmpl.dose_phase_index();
    if (dose_phase >= 0 && phase_ <= dose_phase) {
        if (static_cast<std::size_t>(dose_phase + 1) < tmpl.phases.size())
            enter_phase(dose_phase + 1, t, false);
        else
            begin_end(t);
    }
    return {true, "", {}};
}

Outcome Session::do_next(const Command& cmd, Ms t) {
    const auto& tmpl = setup_.tmpl;
    const int n = static_cast<int>(tmpl.phases.size());
    int target = phase_ + 1;
    if (!cmd.phase.empty()) {
        target = tmpl.phase_index(cmd.phase);
        if (target < 0) return refuse(cmd, "no phase \"" + cmd.phase + "\" in this session");
        if (target <= phase_) return refuse(cmd, "phase \"" + cmd.phase + "\" is not ahead");
    }
    const int dose_phase = tmpl.dose_phase_index();
    if (!dose_at_ && dose_phase >= 0 && phase_ <= dose_phase && target > dose_phase) {
        return refuse(cmd, "phase \"" + tmpl.phases[static_cast<std::size_t>(dose_phase)].id +
                               "\" ends when the dose is marked");
    }
    if (target >= n)
        return refuse(cmd, "this is the last phase: Next never ends a session; hold End to end it");
    record_command(cmd, t);
    enter_phase(target, t, false);
    return {true, "", {}};
}

std::string Session::overlay_trim(bool was_on, Ms) {
    const bool is_on = comfort_ || lights_up_;
    if (!was_on && is_on) trim_before_overlay_db_ = trim_db_;
    if (!was_on || is_on) return {};
    // Released: the trim raised under the overlay never returns as a jump. The level glides
    // back (the overlay's fade) to at most kOverlayTrimReturnDb above where it was.
    const double cap = trim_before_overlay_db_ + kOverlayTrimReturnDb;
    if (trim_db_ <= cap) return {};
    trim_db_ = cap;
    return "the volume returns at most 6 dB above its level before; tap Volume + to go higher";
}

Outcome Session::do_overlay(const Command& cmd, Ms t) {
    const auto& tmpl = setup_.tmpl;
    const bool was_on = comfort_ || lights_up_;
    if (cmd.kind == CommandKind::Comfort) {
        if (cmd.on == comfort_)
            return {true, cmd.on ? "comfort is already on" : "comfort is off", {}};
        record_command(cmd, t);
        set_paused(t, held_, cmd.on);
        episode("comfort", cmd.on, t);
        comfort_in_end_ = cmd.on && status_ == SessionStatus::Ending;
        if (tmpl.comfort.playlist) {
            if (cmd.on) {
                suspend_playback(base_, t);
                start_playback(comfort_pb_, *tmpl.comfort.playlist, t);
            } else {
                comfort_pb_ = Playback{};
                resume_playback(base_, t);
            }
        }
        std::string note = overlay_trim(was_on, t);
        update_room(t, {tmpl.comfort.fade, tmpl.comfort.fade, std::nullopt});
        return {true, note, {}};
    }
    if (cmd.on == lights_up_)
        return {true, cmd.on ? "lights are already up" : "lights are not up", {}};
    record_command(cmd, t);
    lights_up_ = cmd.on;
    episode("lights_up", cmd.on, t);
    const std::string note = overlay_trim(was_on, t);
    const Ms fade =
        cmd.on ? tmpl.lights_up.fade : std::max(tmpl.lights_up.fade, kLightsUpReturnFade);
    update_room(t, {fade, fade, std::nullopt});
    return {true, note, {}};
}

Outcome Session::do_volume(const Command& cmd, Ms t) {
    if (!std::isfinite(cmd.db)) return refuse(cmd, "volume must be a number of dB");
    const double ceiling = setup_.max_volume_db;
    const double offset = overlay_offset_db();
    // The highest trim that is still audible now: above it the ceiling holds the level.
    const double audible_max = ceiling - base_volume_db_ - offset;
    double trim = trim_db_;
    switch (cmd.volume_how) {
    case VolumeHow::Step:
        trim = std::min(trim_db_, audible_max) + cmd.db;
        break;
    case VolumeHow::Trim:
        trim = cmd.db;
        break;
    case VolumeHow::Level:
        trim = cmd.db - base_volume_db_;
        break;
    }
    std::string note;
    if (trim > audible_max) {
        trim = audible_max;
        char buf[64];
        std::snprintf(buf, sizeof buf, "limited to the room's maximum of %.1f dB", ceiling);
        note = buf;
    }
    trim = std::clamp(trim, kMinTrimDb, kMaxTrimDb);
    // Journaled as the trim it set, so replay does not depend on how it was asked.
    Command resolved = cmd;
    resolved.volume_how = VolumeHow::Trim;
    resolved.db = std::round(trim * 100) / 100;
    record_command(resolved, t);
    trim_db_ = resolved.db;
    update_room(t, {Ms{0}, kTherapistVolumeRamp, std::nullopt});
    return {true, note, {}};
}

Outcome Session::do_depth(const Command& cmd, Ms t) {
    if (!std::isfinite(cmd.depth)) return refuse(cmd, "depth must be a number from 0 to 1");
    double trim = depth_trim_;
    switch (cmd.volume_how) {
    case VolumeHow::Step:
        // From what is heard now: a trim beyond the 0..1 range first comes back to its edge.
        trim = std::clamp(base_depth_ + depth_trim_, 0.0, 1.0) - base_depth_ + cmd.depth;
        break;
    case VolumeHow::Trim:
        trim = cmd.depth;
        break;
    case VolumeHow::Level:
        trim = cmd.depth - base_depth_;
        break;
    }
    trim = std::clamp(trim, kMinDepthTrim, kMaxDepthTrim);
    // Journaled as the trim it set, so replay does not depend on how it was asked.
    Command resolved = cmd;
    resolved.volume_how = VolumeHow::Trim;
    resolved.depth = std::round(trim * 1000) / 1000;
    record_command(resolved, t);
    depth_trim_ = resolved.depth;
    update_room(t, {Ms{0}, kTherapistDepthRamp, std::nullopt});
    return {true, comfort_ ? "comfort holds the depth at 0 until it ends" : "", {}};
}

// ---- state -----------------------------------------------------------------------------

DesiredState Session::desired_state(Ms t) const {
    DesiredState s;
    if (t <= now_) {
        fill_state(s, now_);
        return s;
    }
    // Between events the state only moves with time: no need to simulate forward.
    if (const auto due = next_due(); !due || *due > t) {
        fill_state(s, t);
        return s;
    }
    Session copy = *this;
    copy.advance_to(t);
    copy.fill_state(s, t);
    return s;
}

void Session::fill_state(DesiredState& s, Ms t) const {
    const auto& tmpl = setup_.tmpl;
    const auto& p = tmpl.phases[static_cast<std::size_t>(phase_)];
    s.t = t;
    s.status = status_;
    s.phase_index = phase_;
    s.phase_id = p.id;
    s.phase_name = p.name;
    s.phase_elapsed = phase_elapsed_at(t);
    s.phase_planned = phase_planned();
    s.held = held_;
    s.comfort = comfort_;
    s.lights_up = lights_up_;
    if (dose_at_) s.since_dose = t - *dose_at_;
    s.booster = booster_at_.has_value();
    s.reminders = reminders_;
    if (status_ == SessionStatus::Running) {
        // The next cue: the earliest with a known time; else the first waiting for its anchor.
        std::optional<NextCue> known, waiting;
        for (std::size_t i = 0; i < cue_fired_.size(); ++i) {
            if (cue_fired_[i]) continue;
            const Cue& c = tmpl.cues[i];
            if (c.at.anchor == AnchorKind::Phase) {
                const int idx = tmpl.phase_index(c.at.phase_id);
                if (idx < phase_ && !phase_started_[static_cast<std::size_t>(idx)])
                    continue; // skipped
            }
            std::string what = c.remind      ? *c.remind
                               : c.scene     ? "scene " + *c.scene
                               : c.volume_db ? "volume change"
                               : c.depth     ? "depth change"
                               : c.sound     ? "sound"
                               : c.playlist  ? "playlist " + *c.playlist
                               : c.midi      ? "MIDI to " + c.midi->output
                                             : "MQTT message";
            auto due = cue_due(i);
            if (due) {
                if (!known || *due < *known->at) known = NextCue{static_cast<int>(i), due, what};
            } else if (!waiting) {
                waiting = NextCue{static_cast<int>(i), std::nullopt, what};
            }
        }
        s.next_cue = known ? known : waiting;
    }
    if (const Playback* pb = active_playback();
        pb && status_ == SessionStatus::Running && pb->running && !pb->finished) {
        if (const TrackInfo* track = current_track(*pb)) {
            NowPlaying np;
            np.playlist = pb->playlist;
            np.track = pb->order[static_cast<std::size_t>(pb->slot)];
            np.file = track->file;
            np.title = track->title;
            np.length = track->length;
            np.in = track->in;
            np.position = std::min(track_position(*pb, t), track->length);
            np.gain_db = track->gain_db;
            np.layers = track->layers;
            s.playing = np;
        }
    }
    s.silent_since = silent_since_;
    s.volume_db = volume_.value_at(t);
    s.volume_target_db = volume_.to_db;
    s.volume_arc_db = base_volume_db_;
    s.volume_trim_db = trim_db_;
    s.volume_overlay_db = overlay_offset_db();
    s.volume_ceiling_db = setup_.max_volume_db;
    s.depth = depth_.value_at(t);
    s.depth_target = depth_.to;
    s.depth_arc = base_depth_;
    s.depth_trim = depth_trim_;
    s.scene_fades = scenes_;
    if (!scenes_.empty()) {
        const SceneFade& last = scenes_.back();
        s.scene = last.scene;
        if (scenes_.size() >= 2) s.scene_from = scenes_[scenes_.size() - 2].scene;
        if (last.fade > Ms{0} && t < last.start + last.fade) {
            s.scene_progress = static_cast<double>((t - last.start).count()) /
                               static_cast<double>(last.fade.count());
        }
    }
}

} // namespace stillroom
