// Watching the library.
#include "library/library_watcher.hpp"

#include "library/library_files.hpp"

#include <algorithm>
#include <iostream>

namespace stillroom {

namespace fs = std::filesystem;

Json LibraryApply::to_json() const {
    Json failed = Json::array();
    for (const auto& [file, error] : not_applied)
        failed.push_back({{"file", file}, {"error", error}});
    return {{"applied", applied}, {"not_applied", failed}};
}

LibraryWatcher::LibraryWatcher(fs::path dir, DeviceClock& clock,
                               std::function<void(Library)> on_valid_change,
                               std::function<void(const ControlConfig&)> on_users)
    : dir_(std::move(dir)), on_change_(std::move(on_valid_change)), on_users_(std::move(on_users)),
      last_(fingerprint()), clock_(clock) {}

LibraryWatcher::~LibraryWatcher() {
    stop();
}

std::string LibraryWatcher::fingerprint() const {
    std::string out;
    std::error_code ec;
    auto add = [&](const fs::path& p) {
        const auto size = fs::file_size(p, ec);
        const auto time = fs::last_write_time(p, ec).time_since_epoch().count();
        out += p.filename().string() + ":" + std::to_string(ec ? 0 : size) + ":" +
               std::to_string(time) + ";";
    };
    add(dir_ / "room.json");
    for (const char* sub : {"playlists", "scenes", "sessions"}) {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(dir_ / sub, ec))
            if (e.path().extension() == ".json") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        out += std::string(sub) + "/";
        for (const auto& f : files)
            add(f);
    }
    return out;
}

bool LibraryWatcher::poll(bool force) {
    std::lock_guard look(poll_mutex_);
    const std::string now = fingerprint();
    if (now == last_ && !force) return false;
    last_ = now;
    load_and_apply();
    return true;
}

LibraryApply LibraryWatcher::apply_now() {
    std::lock_guard look(poll_mutex_);
    last_ = fingerprint();
    return load_and_apply();
}

LibraryApply LibraryWatcher::load_and_apply() {
    LibraryApply result;
    Problems problems;
    Library lib = load_library(dir_, problems, loudness_);
    check_library(lib, problems);
    std::vector<std::string> errors;
    bool room_ok = true;
    for (const auto& p : problems.list()) {
        if (p.severity != Severity::Error) continue;
        errors.push_back(p.to_string());
        if (p.file == "room.json") room_ok = false;
        const bool listed = std::any_of(result.not_applied.begin(), result.not_applied.end(),
                                        [&](const auto& f) { return f.first == p.file; });
        if (!listed) result.not_applied.emplace_back(p.file, p.to_string());
    }
    std::error_code ec;
    room_ok =
        room_ok && fs::is_regular_file(dir_ / "room.json", ec); // no room.json: no users to apply
    {
        std::lock_guard lock(mutex_);
        rejected_ = errors;
    }
    if (!errors.empty()) {
        std::cerr << "stillroom: library changed on disk with " << errors.size()
                  << " problems; the previous library stays in force:\n";
        for (const auto& e : errors)
            std::cerr << "  " << e << "\n";
        if (on_rejected_) on_rejected_(library_errors_json(problems));
        // Users and PINs do not wait for a broken playlist: room.json alone decides them.
        if (room_ok && on_users_) {
            on_users_(lib.room.control);
            result.applied.push_back("users");
            std::cerr << "stillroom: room.json is valid: its users and PINs apply now" << std::endl;
        }
        return result;
    }
    std::cerr << "stillroom: library changed on disk; it applies to the next session" << std::endl;
    if (on_users_) on_users_(lib.room.control);
    result.applied = {"library", "users"};
    if (on_change_) on_change_(std::move(lib));
    return result;
}

void LibraryWatcher::start() {
    if (running_.exchange(true)) return;
    thread_ = std::thread([this] {
        // Runs on: the library watcher's thread.
        while (running_.load()) {
            clock_.wait_until(clock_.now() + Ms{2000}, wakeup_);
            if (running_.load()) poll();
        }
    });
}

void LibraryWatcher::stop() {
    if (!running_.exchange(false)) return;
    wakeup_.wake();
    if (thread_.joinable()) thread_.join();
}

Json LibraryWatcher::health() const {
    std::lock_guard lock(mutex_);
    if (rejected_.empty()) return {{"ok", true}, {"detail", "library files valid"}};
    return {{"ok", false},
            {"detail", "a change on disk was rejected (" + std::to_string(rejected_.size()) +
                           " problems); the previous library is in force: " + rejected_.front()},
            {"problems", rejected_}};
}

} // namespace stillroom
