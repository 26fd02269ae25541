// A running session: the deterministic state machine at the heart of Stillroom.
// (commands, time) -> effects. Owns no thread, no device and no clock: the caller passes
// session time (ms since start) to every call. See docs/engine.md for the rules.
#pragma once

#include "engine/commands.hpp"
#include "engine/desired_state.hpp"
#include "engine/effects.hpp"
#include "engine/template.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

struct SessionSetup {
    std::string id;                 // opaque, e.g. "s-7f3a9c21d4e8"
    std::string label;              // a short code, never a name
    std::uint64_t seed = 0;         // shuffle order
    std::int64_t wall_start_ms = 0; // wall clock at the start (unix ms): the report's date
    int utc_offset_min = 0;         // the room's local time offset from UTC at the start
    SessionTemplate tmpl;
    Json template_json; // the file as loaded, snapshotted into the journal
    PlaylistCatalog playlists;
    double max_volume_db = -6;
    std::map<std::string, Ms> scene_fades; // each scene file's own "fade"
    // Every scene the template can reach, resolved per light: the session's own copy,
    // journaled, so edits to scene files apply from the next session on.
    std::map<std::string, SceneLights> scenes;
};

struct Outcome {
    bool accepted = false;
    std::string reason; // why refused, or a note ("already on hold")
    Effects effects;
    bool bad_input = false; // refused for what it said (a dose field), not for when: a 400
};

// The music player's state for one playlist (the phase's, or comfort's).
struct Playback {
    std::string playlist;     // empty: nothing
    std::vector<int> order;   // track indices in play order for this pass
    int slot = 0;             // index into order
    int pass = 0;             // completed passes through the list
    Ms started{0};            // session time when playback (at `offset`) began or resumed
    Ms offset{0};             // position in the track at `started`
    bool running = false;     // audible and advancing
    bool finished = false;    // a non-looping list ran out
    std::uint64_t serial = 0; // bumps on every track change

    bool operator==(const Playback&) const = default;
};

struct VolumeRamp {
    double from_db = -90;
    double to_db = -90;
    Ms start{0};
    Ms length{0};
    double value_at(Ms t) const;
    bool operator==(const VolumeRamp&) const = default;
};

// The session's depth along an S-curve (0 lightest .. 1 deepest), like VolumeRamp.
struct DepthRamp {
    double from = 0;
    double to = 0;
    Ms start{0};
    Ms length{0};
    double value_at(Ms t) const;
    bool operator==(const DepthRamp&) const = default;
};

// What has happened so far, for the timeline and the end-of-session summary. Rebuilt by
// replaying the journal, like everything else in a Session.
struct Episode {
    std::string kind; // "hold" | "comfort" | "lights_up"
    Ms start{0};
    std::optional<Ms> end; // none: still on
    bool operator==(const Episode&) const = default;
};

struct ReminderLog {
    int cue = -1;
    Ms at{0};
    std::optional<Ms> done_at; // acknowledged or answered with vitals
    bool operator==(const ReminderLog&) const = default;
};

struct SessionHistory {
    std::vector<std::optional<Ms>> phase_ended; // actual end of each phase
    std::vector<std::optional<Ms>> cue_fired;   // when each cue fired
    std::vector<ReminderLog> reminders;
    std::vector<VolumeRamp> volume; // every change of the effective level
    std::vector<DepthRamp> depth;   // every change of the effective depth
    std::vector<SceneFade> scenes;  // every scene change
    std::vector<Episode> episodes;  // hold, comfort, lights up
    std::optional<Ms> end_pressed;  // End (or the automatic end) began the fade
    std::optional<Ms> finished;
    bool operator==(const SessionHistory&) const = default;
};

// The parts of the effective volume (docs/engine.md, "Volume").
struct VolumeParts {
    double arc_db = -20;    // the template's level now (phase volume_db, volume cues)
    double trim_db = 0;     // the therapist's trim, kept across phases
    double overlay_db = 0;  // comfort / lights up offset now
    double ceiling_db = -6; // the room's maximum
    double target_db = -20; // min(arc + trim + overlay, ceiling), the level being ramped to
};

// The parts of the effective depth (docs/engine.md, "Depth").
struct DepthParts {
    double arc = 0;    // the template's depth now (phase depth, depth cues)
    double trim = 0;   // the therapist's trim, kept across phases
    double target = 0; // clamp(arc + trim, 0, 1); 0 while Comfort is on: the depth ramped to
};

// Vital-sign readings beyond the template's alert thresholds: "systolic_high", "spo2_low", ...
std::vector<std::string> vitals_flags(const VitalsRecord& v, const VitalsAlert& alert);

class Session {
public:
    // Builds the session; nothing happens until start().
    explicit Session(SessionSetup setup);

    // The first effects: journal "start" record, first phase, its music, scene and volume.
    Effects start();
    // Processes everything due up to and including t (cues, phase ends, track changes).
    Effects advance_to(Ms t);
    // Applies a command at t (advancing to t first). Refused commands change nothing.
    Outcome apply(const Command& cmd, Ms t);

    // What the room should be at t >= now(); does not change this session.
    DesiredState desired_state(Ms t) const;
    // The earliest time anything is due (cue, phase end, track change), if any.
    std::optional<Ms> next_due() const;

    Ms now() const { return now_; }
    SessionStatus status() const { return status_; }
    const SessionSetup& setup() const { return setup_; }
    const std::string& id() const { return setup_.id; }
    int phase_index() const { return phase_; }
    std::optional<Ms> dose_at() const { return dose_at_; }
    // When the discharge checklist was completed (a template's monitoring clock), if it was.
    std::optional<Ms> discharged_at() const { return discharged_at_; }
    // Phase clock (excluding hold and comfort) of the current phase at now().
    Ms phase_elapsed() const { return phase_elapsed_at(now_); }
    Ms phase_planned() const;
    bool paused() const { return held_ || comfort_; }
    bool held() const { return held_; }
    bool comfort() const { return comfort_; }
    bool lights_up() const { return lights_up_; }
    std::optional<Ms> booster_at() const { return booster_at_; }
    // The booster can still be marked (the template has one, not yet given, phase ahead).
    bool booster_available() const;
    std::optional<Ms> phase_started(int index) const {
        return phase_started_[static_cast<std::size_t>(index)];
    }
    Ms phase_extra(int index) const { return phase_extra_[static_cast<std::size_t>(index)]; }
    const std::vector<VitalsRecord>& vitals() const { return vitals_; }
    const SessionHistory& history() const { return history_; }
    VolumeParts volume_parts() const;
    DepthParts depth_parts() const;

    // A file that failed to play (missing, unreadable, truncated) this session. It leaves its
    // playlists and comes back for another try at `retry_at`: 30 s after the first failure,
    // doubling to at most 10 min. While out, the room shows it as a media fault.
    struct MediaFault {
        std::string file;
        int failures = 0;
        Ms failed_at{0};
        std::optional<Ms> retry_at; // set while the file is out of its playlists
    };
    // Every file that has failed this session (out now or back on trial), by file name.
    const std::map<std::string, MediaFault>& media_faults() const { return media_faults_; }

private:
    enum class Due { None, Finish, PhaseEnd, Cue, Track, Retry };

    // session.cpp: phases, cues, commands
    Outcome refuse(const Command& cmd, std::string reason);
    void record_command(const Command& cmd, Ms t);
    void record_event(Ms t, Json event);
    void emit(Ms t, EffectBody body) { out_.push_back({t, std::move(body)}); }
    void enter_phase(int index, Ms t, bool first);
    void begin_end(Ms t);
    // Notes when the music of a phase with a playlist stops or comes back; a silence longer
    // than kSilenceAlert is journaled as {"event": "silence", "seconds"} when it ends.
    void note_silence(Ms t);
    void set_paused(Ms t, bool held, bool comfort);
    Ms phase_elapsed_at(Ms t) const;
    std::optional<Ms> phase_end_due() const;
    std::optional<Ms> cue_due(std::size_t i) const;
    void fire_cue(std::size_t i, Ms t);
    Due next_event(Ms& when, std::size_t& cue_index) const;
    bool process_one(Ms limit);
    Outcome apply_command(const Command& cmd, Ms t);
    Outcome do_dose(const Command& cmd, Ms t);
    Outcome do_discharge(const Command& cmd, Ms t);
    Outcome do_next(const Command& cmd, Ms t);
    Outcome do_overlay(const Command& cmd, Ms t);
    Outcome do_volume(const Command& cmd, Ms t);
    Outcome do_depth(const Command& cmd, Ms t);
    // Notes the trim when an overlay begins; when the last one ends, caps a trim raised under
    // it (issue 19 item 13). Returns a note for the therapist when it capped.
    std::string overlay_trim(bool was_on, Ms t);
    void episode(const char* kind, bool on, Ms t);
    void fill_state(DesiredState& s, Ms t) const;

    // session_playback.cpp: music and room targets
    struct Transition {
        Ms scene_fade{0};
        Ms volume_ramp{0};
        std::optional<Ms> crossfade;
    };
    void update_room(Ms t, const Transition& tr);
    std::string effective_scene() const;
    double effective_volume_target() const;
    double effective_depth_target() const;
    double overlay_offset_db() const;
    Playback* active_playback();
    const Playback* active_playback() const;
    void start_playback(Playback& pb, const std::string& playlist, Ms t);
    void reshuffle(Playback& pb) const;
    std::optional<Ms> track_change_due(const Playback& pb) const;
    Ms track_crossfade(const Playback& pb) const;
    const TrackInfo* current_track(const Playback& pb) const;
    bool advance_track(Playback& pb, Ms t);
    Ms track_position(const Playback& pb, Ms t) const;
    void emit_now_playing(Ms t, std::optional<Ms> crossfade);
    void suspend_playback(Playback& pb, Ms t);
    void resume_playback(Playback& pb, Ms t);
    void mark_unplayable(const std::string& file, Ms t);
    // Puts a failed file back in its playlists for another try (session_playback.cpp).
    void retry_file(const std::string& file, Ms t);
    std::optional<Ms> next_retry(std::string* file) const;

    SessionSetup setup_;
    Effects out_;
    Ms now_{0};
    SessionStatus status_ = SessionStatus::Running;
    bool started_ = false;

    int phase_ = 0;
    std::vector<std::optional<Ms>> phase_started_; // actual start of each phase
    std::vector<Ms> phase_extra_;                  // extend / booster per phase
    Ms paused_total_{0};                           // in the current phase
    std::optional<Ms> paused_since_;
    bool held_ = false;
    bool comfort_ = false;
    bool comfort_in_end_ = false; // Comfort pressed during the end fade: its scene wins
    bool lights_up_ = false;
    std::optional<Ms> dose_at_;
    std::optional<Ms> booster_at_;
    std::optional<Ms> discharged_at_;
    std::optional<Ms> end_at_;          // when the ending fade completes
    double end_volume_target_db_ = -90; // the effective target when the end fade began
    std::optional<Ms> silent_since_;    // a phase with a playlist plays nothing since

    std::vector<bool> cue_fired_;
    std::vector<PendingReminder> reminders_;
    std::vector<VitalsRecord> vitals_;

    // Room targets
    std::optional<std::string> base_scene_;
    std::vector<SceneFade> scenes_;     // recent scene fades, newest last
    double base_volume_db_ = -20;       // the arc: phase volume_db and volume cues
    double trim_db_ = 0;                // the therapist's trim (VolumeHow)
    double trim_before_overlay_db_ = 0; // the trim when Comfort or Lights up began
    VolumeRamp volume_;
    double base_depth_ = 0; // the arc: phase depth and depth cues
    double depth_trim_ = 0; // the therapist's depth trim
    DepthRamp depth_;
    SessionHistory history_;
    Playback base_; // the phase's music
    Playback comfort_pb_;
    std::string emitted_playlist_;
    std::uint64_t emitted_serial_ = 0;
    bool emitted_comfort_ = false;
    bool music_stopped_ = true;
    std::uint64_t next_serial_ = 0;
    std::map<std::string, MediaFault> media_faults_;
    // The lengths a failed file's tracks had: (playlist, track index) -> length.
    std::map<std::string, std::vector<std::pair<std::pair<std::string, std::size_t>, Ms>>>
        saved_lengths_;
};

} // namespace stillroom
