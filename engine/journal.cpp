// Journal files: durable appends and tolerant reads.
#include "engine/journal.hpp"

#include "engine/file_ops.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace stillroom {

namespace fs = std::filesystem;

namespace {

// Cuts the file back to its last complete line. Returns false on an I/O error.
bool truncate_torn_tail(int fd) {
    struct stat st{};
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
        const off_t start = end > static_cast<off_t>(sizeof buf) ? end - static_cast<off_t>(sizeof buf) : 0;
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
    std::string line = record.dump(-1, ' ', false, Json::error_handler_t::replace);
    line += '\n';
    struct stat st{};
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
        return false;
    }
    return true;
}

JournalContents read_journal(const fs::path& path) {
    JournalContents out;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        out.problems.push_back(path.string() + ": cannot read the journal");
        return out;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    std::size_t pos = 0;
    std::size_t line_no = 0;
    while (pos < text.size()) {
        const auto nl = text.find('\n', pos);
        const bool complete = nl != std::string::npos;
        const std::string line = text.substr(pos, complete ? nl - pos : std::string::npos);
        pos = complete ? nl + 1 : text.size();
        ++line_no;
        if (line.empty()) continue;
        Json record = Json::parse(line, nullptr, false);
        const bool valid = !record.is_discarded() && record.is_object() && record.contains("type");
        if (!complete) {
            // A last line without its newline was cut by a crash mid-write.
            if (valid) {
                out.records.push_back(std::move(record));
            } else {
                out.torn_tail = true;
            }
            continue;
        }
        if (!valid) {
            if (pos >= text.size()) {
                out.torn_tail = true; // garbage last line
            } else {
                out.problems.push_back(path.string() + ":" + std::to_string(line_no) +
                                       ": not a journal record; skipped");
            }
            continue;
        }
        out.records.push_back(std::move(record));
    }
    return out;
}

fs::path journal_path(const fs::path& state_dir, const std::string& id) {
    return state_dir / "sessions" / (id + ".jsonl");
}

std::optional<fs::path> find_unfinished_journal(const fs::path& state_dir) {
    std::error_code ec;
    const fs::path dir = state_dir / "sessions";
    if (!fs::is_directory(dir, ec)) return std::nullopt;
    std::optional<fs::path> best;
    fs::file_time_type best_time{};
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.path().extension() != ".jsonl") continue;
        const auto contents = read_journal(entry.path());
        if (contents.records.empty()) continue;
        if (contents.records.front().value("type", "") != "start") continue;
        bool finished = false;
        for (const auto& r : contents.records) finished = finished || r.value("type", "") == "finished";
        if (finished) continue;
        const auto t = fs::last_write_time(entry.path(), ec);
        if (!best || t > best_time) {
            best = entry.path();
            best_time = t;
        }
    }
    return best;
}

} // namespace stillroom
