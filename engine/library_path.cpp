// Library paths: confinement and non-blocking opens.
#include "engine/library_path.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace stillroom {

namespace fs = std::filesystem;

std::string library_path_problem(const std::string& rel) {
    if (rel.empty()) return "is empty";
    const fs::path p(rel);
    if (p.is_absolute() || p.has_root_name() || p.has_root_directory())
        return "is an absolute path; paths are relative to the library";
    for (const auto& part : p)
        if (part == "..") return "leaves the library (\"..\"); paths stay inside the library";
    return {};
}

std::optional<fs::path> resolve_in_library(const fs::path& dir, const std::string& rel,
                                           std::string* error) {
    if (const std::string why = library_path_problem(rel); !why.empty()) {
        if (error) *error = why;
        return std::nullopt;
    }
    std::error_code ec;
    const fs::path root = fs::canonical(dir, ec);
    if (ec) {
        if (error) *error = "the library folder " + dir.string() + " cannot be resolved";
        return std::nullopt;
    }
    const fs::path full = fs::canonical(dir / rel, ec);
    if (ec) {
        if (error) *error = "does not exist";
        return std::nullopt;
    }
    const fs::path inside = full.lexically_relative(root);
    if (inside.empty() || *inside.begin() == "..") {
        if (error) *error = "leads outside the library (through a link); files must be inside it";
        return std::nullopt;
    }
    return full;
}

int open_regular_file(const fs::path& path, std::string* error) {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (error) *error = std::strerror(errno);
        return -1;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        if (error) *error = "not a regular file";
        return -1;
    }
    // Regular files ignore O_NONBLOCK for reads; clear it anyway so readers see plain I/O.
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}

std::optional<std::string> read_regular_file(const fs::path& path, std::size_t max_bytes,
                                             std::string* error) {
    const int fd = open_regular_file(path, error);
    if (fd < 0) return std::nullopt;
    std::string text;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            if (error) *error = std::strerror(errno);
            return std::nullopt;
        }
        if (n == 0) break;
        if (text.size() + static_cast<std::size_t>(n) > max_bytes) {
            ::close(fd);
            if (error) *error = "larger than " + std::to_string(max_bytes / (1024 * 1024)) + " MiB";
            return std::nullopt;
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

} // namespace stillroom
