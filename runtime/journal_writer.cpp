// Durable journal appends: write, fdatasync, and take back anything not on disk.
#include "runtime/journal_writer.hpp"

#include "engine/file_ops.hpp"
#include "engine/journal_record.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace stillroom {

namespace fs = std::filesystem;

namespace {

// Cuts the file back to its last complete line. Returns false on an I/O error.
bool truncate_torn_tail(int fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0) return false;
    off_t size = st.st_size;
    if (size == 0) return true;
    char last = 0;
    if (pread(fd, &last, 1, size - 1) != 1) return false;
    if (last == '\n') return true;
    // Scan backwards in blocks for the last newline.
    off_t end = size;
    char buf[4096];
    while (end > 0) {
        const off_t start =
            end > static_cast<off_t>(sizeof buf) ? end - static_cast<off_t>(sizeof buf) : 0;
        const auto n = pread(fd, buf, static_cast<size_t>(end - start), start);
        if (n <= 0) return false;
        for (auto i = n - 1; i >= 0; --i) {
            if (buf[i] == '\n') return ftruncate(fd, start + i + 1) == 0;
        }
        end = start;
    }
    return ftruncate(fd, 0) == 0;
}

} // namespace

std::unique_ptr<JournalWriter> JournalWriter::open(const fs::path& path, std::string* error) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
        if (error) *error = path.parent_path().string() + ": " + ec.message();
        return nullptr;
    }
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        if (error) *error = path.string() + ": " + std::strerror(errno);
        return nullptr;
    }
    if (!truncate_torn_tail(fd)) {
        if (error) *error = path.string() + ": cannot repair torn tail: " + std::strerror(errno);
        ::close(fd);
        return nullptr;
    }
    return std::unique_ptr<JournalWriter>(new JournalWriter(path, fd));
}

JournalWriter::~JournalWriter() {
    if (fd_ >= 0) ::close(fd_);
}

bool JournalWriter::append(const Json& record, std::string* error) {
    std::string line = encode_journal_line(record);
    line += '\n';
    struct stat st {};
    const off_t before = fstat(fd_, &st) == 0 ? st.st_size : -1;
    std::size_t done = 0;
    while (done < line.size()) {
        const auto n = file_ops().write(fd_, line.data() + done, line.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (error) *error = path_.string() + ": " + std::strerror(errno);
            // Leave no half record behind (e.g. ENOSPC after a partial write).
            if (before >= 0 && ftruncate(fd_, before) != 0) {
                // The torn tail is cut on the next open.
            }
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    if (file_ops().fdatasync(fd_) != 0) {
        if (error) *error = path_.string() + ": fdatasync: " + std::strerror(errno);
        // Not durable, so not written: take the line back. The room holds the record and
        // writes it again later; leaving it here would put it in the journal twice (a
        // replayed Extend or volume step would then act twice on resume).
        if (before >= 0 && ftruncate(fd_, before) != 0) {
            // Cannot take it back either: the record may then appear twice.
        }
        return false;
    }
    return true;
}

} // namespace stillroom
