// Watches the library's JSON files while the room runs. A change that loads cleanly becomes
// the library for the next session; a change with errors is rejected (the old library
// stays in force) and the problems are reported in the room's device list and the log.
// A running session never changes: its journal holds its own snapshot.
// Users and PINs are the exception to "all or nothing": when room.json itself is valid they
// apply at once, whatever problems other files have (a PIN change must never wait on a
// broken playlist). Each look says what took effect (`LibraryApply`).
#pragma once

#include "engine/clock.hpp"
#include "engine/room_driver.hpp"
#include "library/library.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace stillroom {

// What one look applied: "library" (every file, for the next session), "users" (room.json's
// users and PINs, at once); and the files that did not apply, each with its first error.
struct LibraryApply {
    std::vector<std::string> applied;
    std::vector<std::pair<std::string, std::string>> not_applied; // file, error
    // {"applied": [...], "not_applied": [{"file", "error"}]}: part of every save answer.
    Json to_json() const;
};

class LibraryWatcher final : public RoomDriver {
public:
    // `on_valid_change` gets the whole library when every file loads cleanly; `on_users`
    // gets room.json's control section (users, PINs, the PIN rules) whenever room.json loads
    // cleanly (also when other files fail).
    // `clock` (real time) paces the looks.
    LibraryWatcher(std::filesystem::path dir, DeviceClock& clock,
                   std::function<void(Library)> on_valid_change,
                   std::function<void(const ControlConfig&)> on_users = nullptr);
    ~LibraryWatcher() override;
    void start();
    void stop();
    // Looks once (the thread calls this every two seconds). Returns true if anything changed.
    // `force` loads even if no file looks changed: a save over the API, which must apply
    // before it is answered (and may land within the file system's timestamp granularity).
    // Any thread.
    bool poll(bool force = false);
    // Loads now, whatever the file times say, and says what applied. Any thread.
    LibraryApply apply_now();
    // Loudness is measured there, in the background, once this is set. Before start().
    void set_loudness_worker(LoudnessWorker* worker) { loudness_ = worker; }
    // Called with the errors (problems_json) of every change that is rejected. Before start().
    void on_rejected(std::function<void(Json)> f) { on_rejected_ = std::move(f); }

    std::string name() const override { return "library"; }
    void apply(const Effect&, MonoTime) override {}
    void reconcile(const DesiredState&, MonoTime) override {}
    Json health() const override;

private:
    std::string fingerprint() const;
    LibraryApply load_and_apply(); // under poll_mutex_
    std::filesystem::path dir_;
    std::function<void(Library)> on_change_;
    std::function<void(const ControlConfig&)> on_users_;
    std::function<void(Json)> on_rejected_;
    LoudnessWorker* loudness_ = nullptr;
    std::mutex poll_mutex_; // one look at a time; guards last_
    std::string last_;
    mutable std::mutex mutex_;
    std::vector<std::string> rejected_; // problems of the last rejected change
    std::atomic<bool> running_{false};
    DeviceClock& clock_;
    Wakeup wakeup_;
    std::thread thread_;
};

} // namespace stillroom
