// Watching the library.
#include "control/library_watcher.hpp"

#include <algorithm>
#include <iostream>

namespace stillroom {

namespace fs = std::filesystem;

LibraryWatcher::LibraryWatcher(fs::path dir, std::function<void(Library)> on_valid_change)
    : dir_(std::move(dir)), on_change_(std::move(on_valid_change)), last_(fingerprint()) {}

LibraryWatcher::~LibraryWatcher() { stop(); }

std::string LibraryWatcher::fingerprint() const {
    std::string out;
    std::error_code ec;
    auto add = [&](const fs::path& p) {
        const auto size = fs::file_size(p, ec);
        const auto time = fs::last_write_time(p, ec).time_since_epoch().count();
        out += p.filename().string() + ":" + std::to_string(ec ? 0 : size) + ":" + std::to_string(time) + ";";
    };
    add(dir_ / "room.json");
    for (const char* sub : {"playlists", "scenes", "sessions"}) {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(dir_ / sub, ec))
            if (e.path().extension() == ".json") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        out += std::string(sub) + "/";
        for (const auto& f : files) add(f);
    }
    return out;
}

bool LibraryWatcher::poll(bool force) {
    std::lock_guard look(poll_mutex_);
    const std::string now = fingerprint();
    if (now == last_ && !force) return false;
    last_ = now;
    Problems problems;
    Library lib = load_library(dir_, problems);
    check_library(lib, problems);
    std::vector<std::string> errors;
    for (const auto& p : problems.list())
        if (p.severity == Severity::Error) errors.push_back(p.to_string());
    {
        std::lock_guard lock(mutex_);
        rejected_ = errors;
    }
    if (!errors.empty()) {
        std::cerr << "stillroom: library changed on disk with " << errors.size()
                  << " problems; the previous library stays in force:\n";
        for (const auto& e : errors) std::cerr << "  " << e << "\n";
        return true;
    }
    std::cerr << "stillroom: library changed on disk; it applies to the next session" << std::endl;
    if (on_change_) on_change_(std::move(lib));
    return true;
}

void LibraryWatcher::start() {
    if (running_.exchange(true)) return;
    thread_ = std::thread([this] {
        // Runs on: the library watcher's thread.
        while (running_.load()) {
            clock_.wait_until(clock_.now() + Ms{2000});
            if (running_.load()) poll();
        }
    });
}

void LibraryWatcher::stop() {
    if (!running_.exchange(false)) return;
    clock_.wake();
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
