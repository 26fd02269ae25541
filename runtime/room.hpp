// The room runtime: one library, at most one running session, its journal, and the
// drivers that make the room what the engine says. Commands may come from any thread;
// the engine itself is only touched under one lock.
#pragma once

#include "engine/clock.hpp"
#include "engine/commands.hpp"
#include "engine/journal.hpp"
#include "engine/refusal_budget.hpp"
#include "engine/room_driver.hpp"
#include "engine/session.hpp"
#include "engine/vitals_monitor.hpp"
#include "library/library.hpp"
#include "library/time_zone.hpp"
#include "runtime/anchor_writer.hpp"
#include "runtime/chart_entries.hpp"
#include "runtime/journal_writer.hpp"
#include "runtime/room_control.hpp"

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace stillroom {

class Room final : public RoomControl {
public:
    Room(Library library, std::filesystem::path state_dir, Clock& clock);
    ~Room() override;

    void add_driver(RoomDriver* driver) { drivers_.push_back(driver); }
    // Called (under the room lock) after every change with the new state JSON.
    void on_change(std::function<void(const Json&)> listener) {
        listeners_.push_back(std::move(listener));
    }
    // Called for every reminder as it fires.
    void on_reminder(std::function<void(const Reminder&)> listener) {
        reminder_listeners_.push_back(std::move(listener));
    }

    // Resumes the newest unfinished session in the state dir, if any. Returns its id.
    std::optional<std::string> resume();

    CommandResult start(const StartRequest& request) override;
    CommandResult command(const Command& command) override;
    CommandResult start_by(const StartRequest& request, const std::string& by) override;
    CommandResult command_by(const Command& command, const std::string& by) override;
    CommandResult correct(const Correction& correction, const std::string& by,
                          bool any_user) override;
    CommandResult sign(const std::string& session_id, const std::string& by) override;
    CommandResult ack_reading(std::int64_t seq, const std::string& by) override;
    // Runs due work up to the clock's now. Runs on: the engine thread.
    void tick();
    // The engine thread: ticks until `stop` is set, sleeping until the next due time (at
    // most `turn_every`). `each_turn` (if set) runs on the engine thread after every tick:
    // the systemd watchdog pings from there, so a hung engine stops them.
    void run(const std::atomic<bool>& stop, const std::function<void()>& each_turn = {},
             Ms turn_every = Ms{1000});
    void wake() { clock_.wake(); }

    // Deletes journals older than room.json state.retention_days (never the running
    // session's). Runs at start-up and daily from run(). Runs on: any thread.
    void apply_retention();

    Json state() const override;
    std::optional<std::string> session_uses_file(const std::string& relative) const override;
    Json timeline() const override;
    Json summary() const override;
    // The desired state now, if a session is running. Runs on: any thread.
    std::optional<DesiredState> desired_now() const;
    const Library& library() const { return library_; }
    // Replaces the library for sessions started from now on (a running session keeps the
    // snapshot in its journal). Runs on: any thread.
    void set_library(Library library);
    // Which library is in force (GET /state → library): "disk" or "last-good", and the
    // errors that keep the disk's files out of force (problems_json form). With
    // `in_force_has_errors` (the room started on a broken library and kept no good copy) no
    // session starts. Runs on: any thread.
    void set_library_status(std::string in_force, Json problems, bool in_force_has_errors);
    // A change on disk was rejected: the library in force stays; its problems are listed.
    void library_rejected(Json problems);
    // A layer of a piece broke mid-piece and the piece played on without it: a library fault
    // for the curator and the clinic (GET /state → library.layer_faults), never the
    // therapist's. Kept until a save changes the library. Runs on: any thread.
    void layer_fault(const std::string& file, const std::string& piece, const std::string& why);
    Clock& clock() { return clock_; }
    // The machine's boot id (read from the kernel); tests set another to act out a reboot.
    void set_boot_id(std::string id) { boot_id_ = std::move(id); }
    // The session time now (nullopt without a session).
    std::optional<Ms> session_time() const;

    // Vitals from the room's monitors (runtime/room_vitals.cpp). A decoded reading: queued
    // (at most 256 waiting; more are dropped and counted) and taken in by the engine thread's
    // next tick; never waits for the room lock. Runs on: any thread (the MQTT network thread).
    void vitals_reading(std::string source, VitalsPayload payload, bool spot);
    CommandResult ack_alert(const std::string& id, const std::string& by) override;
    // Refused commands from MQTT (runtime/room_refusals.cpp): at most one journal record per
    // kind per second of session time, each with "count" (the refusals it stands for).
    void journal_refusal(const std::string& by, const std::string& kind, const std::string& cmd,
                         std::uint64_t count) override;
    Json vitals_series() const override;

private:
    // Journals the effects' records, then acts on the rest. Returns the seq of the first
    // "cmd" or "refused" record among them (the record a command made), or 0.
    std::int64_t dispatch(const Effects& effects);
    // Numbers a journal record (its "seq": 1 for the start record, then consecutive) and
    // queues it behind anything held. Returns the seq.
    std::int64_t queue_record(Json record);
    // The wall clock now, ISO 8601 in the room's time zone (for the record only).
    std::string clock_now() const;
    // Signs a finished session's journal that is not the room's current one.
    CommandResult sign_journal_file(const std::string& session_id, const std::string& by);
    // Numbers and queues the effects' journal records behind any held ones, then writes
    // them; false when they could not all be written (they stay held). *command_seq: the
    // seq of the first "cmd" or "refused" record, or 0.
    bool queue_records(const Effects& effects, std::int64_t* command_seq);
    // Acts on every effect but the journal records (drivers, listeners, the end).
    void act(const Effects& effects);
    // Numbers a record and stamps who and when (seq, clock, by).
    void stamp_record(Json& record);
    // Journal records go to disk in order; one that cannot be written (disk full) is held in
    // memory with every later one and written when space returns. The fault clears only
    // when nothing is held. Returns false while records are held.
    bool write_held_records();
    void notify();
    Json state_locked() const;
    // Hands the anchor's snapshot (clocks, seq written, the record's facts) to anchors_.
    void write_anchor();
    // Journals each device's health changes (faults and recoveries) during a session.
    // Returns whether anything changed.
    bool journal_device_health();
    // The "media" device: files of the running session that failed to play and wait for
    // their next try (Session::media_faults).
    Json media_health_locked() const;
    Ms session_now() const;
    // Vitals (runtime/room_vitals.cpp), under the room lock: a new monitor for the session
    // started or resumed at `t`; the queued readings taken in and the monitor moved to now
    // (true when the state changed); the session's vitals_live/alerts/trend.
    void start_vitals_locked(Ms t);
    bool take_vitals_locked();
    void vitals_state_locked(Json& session) const;
    void journal_vitals_locked(std::vector<Json> events);
    // Refusals under the budget (runtime/room_refusals.cpp), under the room lock: the
    // engine's "refused" record of a command from a budgeted source is journaled or held
    // back (taken out of `effects`); held-back counts are journaled once their second ends.
    void budget_refusals_locked(Effects& effects, const std::string& by);
    void journal_due_refusals_locked(bool all = false); // all: the session's end

    Library library_;
    std::filesystem::path state_dir_;
    Clock& clock_;
    std::vector<RoomDriver*> drivers_;
    std::vector<std::function<void(const Json&)>> listeners_;
    std::vector<std::function<void(const Reminder&)>> reminder_listeners_;
    mutable std::mutex mutex_;
    std::unique_ptr<Session> session_;
    MonoTime origin_{};
    std::unique_ptr<JournalWriter> journal_;
    std::string journal_fault_;
    std::string journal_damage_; // damaged records found on resume (shown until the next start)
    std::string
        resume_note_; // how the resumed session differs from its journal (until the next start)
    std::deque<Json> held_records_;
    std::int64_t last_seq_ = 0;         // the seq of the session's last journal record
    std::int64_t last_seq_written_ = 0; // the seq of the last record on disk (the anchor's)
    ChartEntries entries_;              // the session's clinical entries and their corrections
    TimeZone zone_;                     // room.json "timezone": the record's clock times
    std::string acting_by_; // who gave the command being carried out ("" = the schedule)
    std::size_t dropped_records_ = 0;
    std::map<std::string, bool> device_ok_; // last journaled health per device
    std::string boot_id_;
    MonoTime next_retention_{};
    std::string library_in_force_ = "disk";
    Json library_problems_ = Json::array();
    Json library_layer_faults_ = Json::array(); // [{"file", "piece", "error"}], one per file
    bool library_has_errors_ = false;
    std::int64_t last_notify_wall_ms_ = 0;  // a state at least every 5 s during a session
    std::unique_ptr<VitalsMonitor> vitals_; // the session's live vitals and alerts
    struct QueuedReading {
        std::string source;
        VitalsPayload payload;
        bool spot = false;
    };
    mutable std::mutex vitals_inbox_mutex_; // taken after mutex_, never before it
    std::deque<QueuedReading> vitals_inbox_;
    std::size_t vitals_inbox_dropped_ = 0;
    RefusalBudget refusals_; // refused MQTT commands: a bounded rate of journal records
    AnchorWriter anchors_;   // the state file, off the lock; what waits is written on the way out
};

// A fresh opaque session id ("s-" and 12 hex digits) and a shuffle seed, from the OS.
std::string new_session_id();
std::uint64_t new_seed();

} // namespace stillroom
