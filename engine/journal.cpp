// Journal files: durable appends and tolerant reads.
#include "engine/journal.hpp"

#include "engine/file_ops.hpp"
#include "engine/journal_record.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace stillroom {

namespace fs = std::filesystem;

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
