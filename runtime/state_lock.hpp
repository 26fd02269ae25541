// One daemon per state dir: an exclusive flock on STATE/lock, held for the life of the
// process (the kernel drops it when the process dies, even by kill -9), with the holder's
// pid written inside so a second daemon can say who holds it.
#pragma once

#include <filesystem>
#include <string>

namespace stillroom {

class StateDirLock {
public:
    StateDirLock() = default;
    ~StateDirLock();
    StateDirLock(const StateDirLock&) = delete;
    StateDirLock& operator=(const StateDirLock&) = delete;
    // False (and *error naming the holder's pid) if another process or lock holds it.
    bool acquire(const std::filesystem::path& state_dir, std::string* error);

private:
    int fd_ = -1;
};

} // namespace stillroom
