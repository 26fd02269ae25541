// Journal files: durable appends and tolerant reads.
#include "engine/journal.hpp"

#include "engine/journal_record.hpp"
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
    std::string line = encode_journal_line(record);
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
    struct Line {
        std::size_t no;
        bool complete;
        DecodedLine decoded;
    };
    std::vector<Line> lines;
    bool checksummed = false; // any line with a good checksum: then every line needs one
    std::size_t pos = 0;
    std::size_t line_no = 0;
    while (pos < text.size()) {
        const auto nl = text.find('\n', pos);
        const bool complete = nl != std::string::npos;
        const std::string_view line = std::string_view(text).substr(pos, complete ? nl - pos : std::string::npos);
        pos = complete ? nl + 1 : text.size();
        ++line_no;
        if (line.empty()) continue;
        lines.push_back({line_no, complete, decode_journal_line(line)});
        checksummed = checksummed || lines.back().decoded.kind == DecodedLine::Kind::Ok;
    }
    for (std::size_t i = 0; i < lines.size(); ++i) {
        auto& l = lines[i];
        const bool last = i + 1 == lines.size();
        const bool good = l.decoded.kind == DecodedLine::Kind::Ok ||
                          (l.decoded.kind == DecodedLine::Kind::Legacy && !checksummed);
        const bool valid = good && l.decoded.record.contains("type");
        if (valid) {
            out.records.push_back(std::move(l.decoded.record));
            continue;
        }
        if (last && (!l.complete || !checksummed)) {
            out.torn_tail = true; // cut by a crash mid-write (or garbage at the end)
            continue;
        }
        const std::string where = path.string() + ":" + std::to_string(l.no);
        if (checksummed) {
            out.damaged.push_back(where + ": damaged record (checksum mismatch); skipped");
            out.problems.push_back(out.damaged.back());
        } else {
            out.problems.push_back(where + ": not a journal record; skipped");
        }
    }
    return out;
}

fs::path journal_path(const fs::path& state_dir, const std::string& id) {
    return state_dir / "sessions" / (id + ".jsonl");
}

std::optional<fs::path> find_unfinished_journal(const fs::path& state_dir, std::string* damage) {
    std::error_code ec;
    const fs::path dir = state_dir / "sessions";
    if (!fs::is_directory(dir, ec)) return std::nullopt;
    // The newest journal by modification time (ids are random, not ordered).
    std::optional<fs::path> newest;
    fs::file_time_type newest_time{};
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.path().extension() != ".jsonl") continue;
        const auto t = fs::last_write_time(entry.path(), ec);
        if (ec) continue;
        if (!newest || t > newest_time) {
            newest = entry.path();
            newest_time = t;
        }
    }
    if (!newest) return std::nullopt;
    const auto contents = read_journal(*newest);
    if (contents.records.empty() || contents.records.front().value("type", "") != "start") {
        if (damage)
            *damage = newest->string() + ": the newest journal has no readable start record (" +
                      (contents.damaged.empty() ? std::string("empty or cut") : contents.damaged.front()) +
                      "); no session is resumed, and no older one either";
        return std::nullopt;
    }
    for (const auto& r : contents.records)
        if (r.value("type", "") == "finished") return std::nullopt;
    return newest;
}

} // namespace stillroom
