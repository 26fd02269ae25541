// The state-dir lock.
#include "runtime/state_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace stillroom {

StateDirLock::~StateDirLock() {
    if (fd_ >= 0) ::close(fd_); // releases the lock; the file stays (removing it would race)
}

bool StateDirLock::acquire(const std::filesystem::path& state_dir, std::string* error) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    const auto path = state_dir / "lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (error) *error = "cannot open " + path.string() + ": " + std::strerror(errno);
        return false;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {};
        const auto n = ::pread(fd, buf, sizeof buf - 1, 0);
        std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
            pid.pop_back();
        ::close(fd);
        if (error)
            *error = "another stillroom" + (pid.empty() ? std::string() : " (pid " + pid + ")") +
                     " is running on the state dir " + state_dir.string() +
                     "; stop it first (two daemons would write one journal)";
        return false;
    }
    const std::string me = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
        // The lock holds; only the pid note is missing.
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    return true;
}

} // namespace stillroom
