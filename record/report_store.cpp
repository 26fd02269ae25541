// Past sessions on disk: reports, history and retention.
#include "record/report_store.hpp"

#include "engine/journal.hpp"
#include "record/report.hpp"

#include <algorithm>
#include <vector>

namespace stillroom {

namespace fs = std::filesystem;

bool is_valid_session_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-';
    });
}

std::optional<Json> load_session_report(const fs::path& state_dir, const std::string& id) {
    if (!is_valid_session_id(id)) return std::nullopt;
    const fs::path path = journal_path(state_dir, id);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return std::nullopt;
    return build_report(read_journal(path));
}

Json session_history(const fs::path& state_dir) {
    struct Item {
        fs::file_time_type written;
        Json entry;
    };
    std::vector<Item> items;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(state_dir / "sessions", ec)) {
        const fs::path& p = entry.path();
        if (p.extension() != ".jsonl" || !is_valid_session_id(p.stem().string())) continue;
        Json h = history_entry(build_report(read_journal(p)));
        if (!h.contains("id")) h["id"] = p.stem().string();
        items.push_back({fs::last_write_time(p, ec), std::move(h)});
    }
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        const std::string da = a.entry.value("started_at", Json()).is_string()
                                   ? a.entry["started_at"].get<std::string>()
                                   : "";
        const std::string db = b.entry.value("started_at", Json()).is_string()
                                   ? b.entry["started_at"].get<std::string>()
                                   : "";
        if (a.written != b.written) return a.written > b.written;
        return da > db;
    });
    Json out = Json::array();
    for (auto& i : items)
        out.push_back(std::move(i.entry));
    return out;
}

int delete_expired_journals(const fs::path& state_dir, std::chrono::system_clock::time_point now,
                            int days, const std::string& keep) {
    if (days <= 0) return 0;
    const auto limit = now - std::chrono::hours{24} * days;
    int deleted = 0;
    std::error_code ec;
    std::vector<fs::path> expired;
    for (const auto& entry : fs::directory_iterator(state_dir / "sessions", ec)) {
        const fs::path& p = entry.path();
        if (p.extension() != ".jsonl" || p.stem().string() == keep) continue;
        std::error_code tec;
        const auto written = fs::last_write_time(p, tec);
        if (tec) continue;
        if (std::chrono::file_clock::to_sys(written) < limit) expired.push_back(p);
    }
    for (const auto& p : expired) {
        std::error_code rec;
        if (fs::remove(p, rec)) ++deleted;
        fs::path anchor = p;
        anchor.replace_extension(".anchor");
        fs::remove(anchor, rec);
    }
    return deleted;
}

} // namespace stillroom
