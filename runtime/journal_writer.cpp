// Durable journal appends: write into preallocated space, fdatasync, and take back anything
// not on disk.
#include "runtime/journal_writer.hpp"

#include "engine/file_ops.hpp"
#include "engine/journal.hpp"
#include "engine/journal_record.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace stillroom {

namespace fs = std::filesystem;

namespace {

// Writes zero bytes over [from, to). Returns false on an I/O error.
bool zero_range(int fd, off_t from, off_t to) {
    static const char zeros[4096] = {};
    while (from < to) {
        const auto n = ::pwrite(
            fd, zeros, static_cast<std::size_t>(std::min<off_t>(to - from, sizeof zeros)), from);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        from += n;
    }
    return true;
}

// Cuts the data back to its last complete line: the bytes after it become zero again (the
// preallocated tail) or, past the preallocation, are truncated. *end is the new data end.
// Returns false on an I/O error.
bool truncate_torn_tail(int fd, off_t size, off_t* end) {
    const auto data_end = journal_data_end(fd, size); // without the preallocated tail
    if (!data_end) return false;
    *end = static_cast<off_t>(*data_end);
    if (*end == 0) return true;
    char last = 0;
    if (::pread(fd, &last, 1, *end - 1) != 1) return false;
    if (last == '\n') return true;
    // Scan backwards in blocks for the last newline.
    off_t cut = 0;
    off_t to = *end;
    char buf[4096];
    while (to > 0 && cut == 0) {
        const off_t from = std::max<off_t>(0, to - static_cast<off_t>(sizeof buf));
        const auto n = ::pread(fd, buf, static_cast<std::size_t>(to - from), from);
        if (n <= 0) return false;
        for (auto i = n - 1; i >= 0; --i)
            if (buf[i] == '\n') {
                cut = from + i + 1;
                break;
            }
        to = from;
    }
    const bool ok = (size > *end ? zero_range(fd, cut, *end) : ::ftruncate(fd, cut) == 0) &&
                    ::fdatasync(fd) == 0;
    *end = cut;
    return ok;
}

} // namespace

std::unique_ptr<JournalWriter> JournalWriter::open(const fs::path& path, std::string* error) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
        if (error) *error = path.parent_path().string() + ": " + ec.message();
        return nullptr;
    }
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        if (error) *error = path.string() + ": " + std::strerror(errno);
        return nullptr;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        if (error) *error = path.string() + ": " + std::strerror(errno);
        ::close(fd);
        return nullptr;
    }
    off_t end = 0;
    if (!truncate_torn_tail(fd, st.st_size, &end)) {
        if (error) *error = path.string() + ": cannot repair torn tail: " + std::strerror(errno);
        ::close(fd);
        return nullptr;
    }
    if (::fstat(fd, &st) != 0) st.st_size = end; // the cut may have shortened it
    std::unique_ptr<JournalWriter> w(new JournalWriter(path, fd, end, std::max(end, st.st_size)));
    w->grow();
    return w;
}

JournalWriter::~JournalWriter() {
    if (fd_ >= 0) ::close(fd_);
}

void JournalWriter::grow() {
    if (allocated_ - end_ >= kJournalGrowAt) return;
    // Mode 0: the blocks are the file's from now on, whatever else fills the disk. A disk
    // already full (or a file system without fallocate) leaves the journal as it was: the
    // room shows how much is left (Room, "journal" device).
    if (file_ops().fallocate(fd_, 0, allocated_, end_ + kJournalPrealloc - allocated_) == 0 &&
        ::fdatasync(fd_) == 0)
        allocated_ = end_ + kJournalPrealloc;
}

void JournalWriter::take_back(off_t from, off_t length) {
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && st.st_size > std::max(allocated_, from)) {
        if (::ftruncate(fd_, std::max(allocated_, from)) != 0) {
            // The torn tail is cut on the next open.
        }
    }
    if (!zero_range(fd_, from, std::min(from + length, allocated_))) {
        // As above: a reader stops at the bad line, the next open cuts it.
    }
}

bool JournalWriter::append(const Json& record, std::string* error) {
    std::string line = encode_journal_line(record);
    line += '\n';
    const off_t before = end_;
    if (::lseek(fd_, before, SEEK_SET) != before) {
        if (error) *error = path_.string() + ": " + std::strerror(errno);
        return false;
    }
    std::size_t done = 0;
    while (done < line.size()) {
        const auto n = file_ops().write(fd_, line.data() + done, line.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (error) *error = path_.string() + ": " + std::strerror(errno);
            // Leave no half record behind (e.g. ENOSPC after a partial write).
            take_back(before, static_cast<off_t>(done));
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    if (file_ops().fdatasync(fd_) != 0) {
        if (error) *error = path_.string() + ": fdatasync: " + std::strerror(errno);
        // Not durable, so not written: take the line back. The room holds the record and
        // writes it again later; leaving it here would put it in the journal twice (a
        // replayed Extend or volume step would then act twice on resume).
        take_back(before, static_cast<off_t>(line.size()));
        return false;
    }
    end_ = before + static_cast<off_t>(line.size());
    allocated_ = std::max(allocated_, end_);
    grow();
    return true;
}

void JournalWriter::release_preallocation() {
    if (allocated_ > end_ && ::ftruncate(fd_, end_) == 0) allocated_ = end_;
}

} // namespace stillroom
