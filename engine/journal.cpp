// Journal files: durable appends and tolerant reads.
#include "engine/journal.hpp"

#include "engine/file_ops.hpp"
#include "engine/journal_record.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace stillroom {

namespace fs = std::filesystem;

std::optional<long long> journal_data_end(int fd, long long size) {
    std::array<std::uint64_t, 8192> words{}; // 64 KiB, reused for every chunk
    auto* bytes = reinterpret_cast<char*>(words.data());
    long long to = size;
    while (to > 0) {
        const long long from = std::max<long long>(0, to - static_cast<long long>(sizeof words));
        const auto want = static_cast<std::size_t>(to - from);
        std::size_t got = 0;
        while (got < want) {
            const auto n = ::pread(fd, bytes + got, want - got,
                                   static_cast<off_t>(from) + static_cast<off_t>(got));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return std::nullopt;
            got += static_cast<std::size_t>(n);
        }
        // Whole zero words first (8 bytes at a time), then the last non-zero byte.
        std::size_t i = want;
        while (i % 8 != 0 && bytes[i - 1] == '\0')
            --i;
        if (i % 8 == 0)
            while (i >= 8 && words[i / 8 - 1] == 0)
                i -= 8;
        while (i > 0 && bytes[i - 1] == '\0')
            --i;
        if (i > 0) return from + static_cast<long long>(i);
        to = from;
    }
    return 0;
}

JournalContents read_journal(const fs::path& path) {
    JournalContents out;
    std::string text;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
        if (fd >= 0) ::close(fd);
        out.problems.push_back(path.string() + ": cannot read the journal");
        return out;
    }
    // The data only: the preallocated tail of zero bytes is never read into memory.
    const auto end = journal_data_end(fd, st.st_size);
    text.resize(static_cast<std::size_t>(end.value_or(0)));
    std::size_t got = 0;
    while (got < text.size()) {
        const auto n = ::pread(fd, text.data() + got, text.size() - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (!end || got < text.size()) {
        out.problems.push_back(path.string() + ": cannot read the journal");
        text.resize(got);
    }
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
        const std::string_view line =
            std::string_view(text).substr(pos, complete ? nl - pos : std::string::npos);
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

fs::path current_session_path(const fs::path& state_dir) {
    return state_dir / "sessions" / "current";
}

bool write_current_session(const fs::path& state_dir, const std::string& id, std::string* error) {
    const fs::path path = current_session_path(state_dir);
    const fs::path tmp = path.string() + ".tmp";
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    const std::string text = id + "\n";
    const bool ok =
        fd >= 0 &&
        file_ops().write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
        file_ops().fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!ok || file_ops().rename(tmp.c_str(), path.c_str()) != 0) {
        if (error) *error = path.string() + ": " + std::strerror(errno);
        fs::remove(tmp, ec);
        return false;
    }
    if (const int d = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d >= 0) {
        file_ops().fsync(d);
        ::close(d);
    }
    return true;
}

void clear_current_session(const fs::path& state_dir, const std::string& id) {
    std::ifstream in(current_session_path(state_dir));
    std::string named;
    std::getline(in, named);
    in.close();
    std::error_code ec;
    if (named == id) fs::remove(current_session_path(state_dir), ec);
}

namespace {

// A state dir from before the "current" file: the running session is the one with an anchor
// (runtime/room.cpp: written at its start, deleted when it finishes); with several, the one
// whose anchor says it started last (its own record, never a file time).
std::optional<std::string> session_from_anchors(const fs::path& dir) {
    std::optional<std::string> best;
    std::int64_t best_start = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.path().extension() != ".anchor") continue;
        std::ifstream in(entry.path());
        const Json anchor = parse_json_or_discarded(
            std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
        const std::int64_t start =
            anchor.is_object() ? anchor.value("wall_origin_ms", std::int64_t{0}) : 0;
        if (!best || start > best_start) {
            best = entry.path().stem().string();
            best_start = start;
        }
    }
    return best;
}

} // namespace

std::optional<fs::path> find_unfinished_journal(const fs::path& state_dir, std::string* damage) {
    std::error_code ec;
    const fs::path dir = state_dir / "sessions";
    if (!fs::is_directory(dir, ec)) return std::nullopt;
    // The state dir says which session runs (written when it starts, cleared when it ends);
    // file times say nothing (a clock set back, a copied dir).
    std::optional<std::string> id;
    if (std::ifstream in(current_session_path(state_dir)); in) {
        std::string line;
        std::getline(in, line);
        if (!line.empty()) id = line;
    } else {
        id = session_from_anchors(dir);
    }
    if (!id) return std::nullopt;
    const fs::path newest = journal_path(state_dir, *id);
    if (!fs::exists(newest, ec)) {
        if (damage)
            *damage = current_session_path(state_dir).string() + " names session " + *id +
                      ", whose journal is missing; no session is resumed";
        return std::nullopt;
    }
    const auto contents = read_journal(newest);
    if (contents.records.empty() || contents.records.front().value("type", "") != "start") {
        if (damage)
            *damage = newest.string() +
                      ": the running session's journal has no readable start "
                      "record (" +
                      (contents.damaged.empty() ? std::string("empty or cut")
                                                : contents.damaged.front()) +
                      "); no session is resumed, and no older one either";
        return std::nullopt;
    }
    for (const auto& r : contents.records)
        if (r.value("type", "") == "finished") return std::nullopt;
    return newest;
}

} // namespace stillroom
