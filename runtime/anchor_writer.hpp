// The session's state file (STATE/sessions/ID.anchor, docs/engine.md) written off the command
// path. The room takes the anchor's snapshot under its lock and hands it over; one thread of
// the writer's own puts it on disk (temp file, fsync, rename), so no tap waits for that fsync
// and the room lock is never held across it. Snapshots are coalesced: one that arrives while an
// older one for the same file still waits replaces it (the latest wins), so a flood of commands
// costs one write at a time. A failed write leaves the older anchor: it lags (its seq behind the
// journal's), which a resume already handles (runtime/journal_repair.hpp). Removing an anchor
// (the session finished) goes through the same queue, after any write to that file already
// under way, so a late write never brings a finished session's anchor back.
#pragma once

#include "engine/file_ops.hpp"
#include "engine/json_reader.hpp"

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace stillroom {

// STATE/sessions/ID.anchor.
std::filesystem::path anchor_path(const std::filesystem::path& state_dir, const std::string& id);
// The anchor on disk; null when there is none or it cannot be read.
Json read_anchor(const std::filesystem::path& state_dir, const std::string& id);

class AnchorWriter {
public:
    // `ops`: the system calls to write with (engine/file_ops.hpp), copied now: a test installs
    // its hooks before making the room, and never races the writer's thread by swapping them.
    explicit AnchorWriter(const FileOps& ops = file_ops());
    // Finishes every write and removal handed over (shutdown loses none), then stops.
    ~AnchorWriter();
    AnchorWriter(const AnchorWriter&) = delete;
    AnchorWriter& operator=(const AnchorWriter&) = delete;

    // Queues `anchor` for `path`, replacing a snapshot for it that still waits. Never waits for
    // the disk. Runs on: any thread (the room's, under its lock).
    void write(std::filesystem::path path, Json anchor);
    // Removes `path` after any write to it under way; writes to it still waiting are dropped.
    // Runs on: any thread (the room's, under its lock).
    void remove(std::filesystem::path path);
    // Waits until everything handed over so far is done. Runs on: any thread but the writer's.
    void flush();

private:
    struct Job {
        std::filesystem::path path;
        std::optional<Json> anchor; // none: remove the file
    };
    void run(); // Runs on: the writer's thread.
    void write_file(const std::filesystem::path& path, const Json& anchor) const;

    const FileOps ops_;
    std::mutex mutex_;
    std::condition_variable wake_; // a job queued, or stop
    std::condition_variable idle_; // a job done
    std::deque<Job> jobs_;         // in order; at most one waiting write per file
    bool busy_ = false;            // the thread is carrying out a job it took
    bool stop_ = false;
    std::thread thread_; // started by the first job
};

} // namespace stillroom
