// Watches the library's JSON files while the room runs. A change that loads cleanly becomes
// the library for the next session; a change with errors is rejected (the old library
// stays in force) and the problems are reported in the room's device list and the log.
// A running session never changes: its journal holds its own snapshot.
#pragma once

#include "control/library.hpp"
#include "engine/clock.hpp"
#include "engine/room_driver.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace stillroom {

class LibraryWatcher final : public RoomDriver {
public:
    LibraryWatcher(std::filesystem::path dir, std::function<void(Library)> on_valid_change);
    ~LibraryWatcher() override;
    void start();
    void stop();
    // Looks once (the thread calls this every two seconds). Returns true if anything changed.
    // `force` loads even if no file looks changed: a save over the API, which must apply
    // before it is answered (and may land within the file system's timestamp granularity).
    // Any thread.
    bool poll(bool force = false);

    std::string name() const override { return "library"; }
    void apply(const Effect&, MonoTime) override {}
    void reconcile(const DesiredState&, MonoTime) override {}
    Json health() const override;

private:
    std::string fingerprint() const;
    std::filesystem::path dir_;
    std::function<void(Library)> on_change_;
    std::mutex poll_mutex_; // one look at a time; guards last_
    std::string last_;
    mutable std::mutex mutex_;
    std::vector<std::string> rejected_; // problems of the last rejected change
    std::atomic<bool> running_{false};
    SteadyClock clock_;
    std::thread thread_;
};

} // namespace stillroom
