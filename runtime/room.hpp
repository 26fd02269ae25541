// The room runtime: one library, at most one running session, its journal, and the
// drivers that make the room what the engine says. Commands may come from any thread;
// the engine itself is only touched under one lock.
#pragma once

#include "engine/clock.hpp"
#include "engine/commands.hpp"
#include "engine/journal.hpp"
#include "engine/room_driver.hpp"
#include "engine/session.hpp"
#include "library/library.hpp"
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
    Json timeline() const override;
    Json summary() const override;
    // The desired state now, if a session is running. Runs on: any thread.
    std::optional<DesiredState> desired_now() const;
    const Library& library() const { return library_; }
    // Replaces the library for sessions started from now on (a running session keeps the
    // snapshot in its journal). Runs on: any thread.
    void set_library(Library library);
    Clock& clock() { return clock_; }
    // The machine's boot id (read from the kernel); tests set another to act out a reboot.
    void set_boot_id(std::string id) { boot_id_ = std::move(id); }
    // The session time now (nullopt without a session).
    std::optional<Ms> session_time() const;

private:
    void dispatch(const Effects& effects);
    // Journal records go to disk in order; one that cannot be written (disk full) is held in
    // memory with every later one and written when space returns. The fault clears only
    // when nothing is held. Returns false while records are held.
    bool write_held_records();
    void notify();
    Json state_locked() const;
    void write_anchor();
    // Journals each device's health changes (faults and recoveries) during a session.
    // Returns whether anything changed.
    bool journal_device_health();
    // The "media" device: files of the running session that failed to play and wait for
    // their next try (Session::media_faults).
    Json media_health_locked() const;
    Ms session_now() const;

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
    std::size_t dropped_records_ = 0;
    std::map<std::string, bool> device_ok_; // last journaled health per device
    std::string boot_id_;
    MonoTime next_retention_{};
};

// A fresh opaque session id ("s-" and 12 hex digits) and a shuffle seed, from the OS.
std::string new_session_id();
std::uint64_t new_seed();

} // namespace stillroom
