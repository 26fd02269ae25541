// Sequence gaps in a journal and the commands a resume took back from the state file.
#include "engine/journal_gaps.hpp"

#include <algorithm>

namespace stillroom {

namespace {

std::int64_t seq_of(const Json& r) {
    const auto it = r.find("seq");
    return it != r.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

} // namespace

const Json* resume_gap(const Json& record) {
    if (!record.is_object() || record.value("type", "") != "event" ||
        record.value("event", "") != "resumed")
        return nullptr;
    const auto it = record.find("gap");
    return it != record.end() && it->is_object() ? &*it : nullptr;
}

namespace {

std::vector<SeqGap> named_gaps(const JournalContents& journal) {
    std::vector<SeqGap> out;
    for (const auto& r : journal.records) {
        const Json* gap = resume_gap(r);
        if (!gap) continue;
        const auto it = gap->find("missing");
        if (it == gap->end() || !it->is_array()) continue;
        for (const auto& m : *it)
            if (m.is_array() && m.size() == 2 && m[0].is_number_integer() &&
                m[1].is_number_integer())
                out.push_back({m[0].get<std::int64_t>(), m[1].get<std::int64_t>()});
    }
    return out;
}

std::vector<SeqGap> holes(const JournalContents& journal, std::int64_t known_last) {
    std::vector<SeqGap> out;
    std::int64_t prev = 0;
    for (const auto& r : journal.records) {
        const std::int64_t s = seq_of(r);
        if (s <= 0) continue;
        if (prev > 0 && s > prev + 1) out.push_back({prev + 1, s - 1});
        prev = std::max(prev, s);
    }
    if (prev > 0 && known_last > prev) out.push_back({prev + 1, known_last});
    return out;
}

} // namespace

std::int64_t last_journal_seq(const JournalContents& journal) {
    std::int64_t last = 0;
    for (const auto& r : journal.records)
        last = std::max(last, seq_of(r));
    return last;
}

std::vector<SeqGap> journal_seq_gaps(const JournalContents& journal, std::int64_t known_last) {
    const auto named = named_gaps(journal);
    std::vector<SeqGap> out;
    for (const auto& g : holes(journal, known_last))
        if (std::find(named.begin(), named.end(), g) == named.end()) out.push_back(g);
    return out;
}

std::vector<SeqGap> journal_all_gaps(const JournalContents& journal) {
    auto out = named_gaps(journal);
    for (const auto& g : holes(journal, 0))
        if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
    return out;
}

std::vector<Json> records_with_restored(const std::vector<Json>& records) {
    std::vector<Json> out = records;
    for (const auto& r : records) {
        const Json* gap = resume_gap(r);
        if (!gap) continue;
        const auto it = gap->find("restored");
        if (it == gap->end() || !it->is_array()) continue;
        for (const auto& cmd : *it) {
            if (!cmd.is_object() || cmd.value("type", "") != "cmd" || !cmd.contains("t") ||
                !cmd["t"].is_number_integer())
                continue;
            const auto t = cmd["t"].get<std::int64_t>();
            auto at = out.empty() ? out.end() : out.begin() + 1;
            while (at != out.end() && !(at->contains("t") && (*at)["t"].is_number_integer() &&
                                        (*at)["t"].get<std::int64_t>() > t))
                ++at;
            out.insert(at, cmd);
        }
    }
    return out;
}

std::string describe_gaps(const std::vector<SeqGap>& gaps) {
    std::string out;
    for (const auto& g : gaps) {
        if (!out.empty()) out += ", ";
        out += std::to_string(g.from);
        if (g.to != g.from) out += "-" + std::to_string(g.to);
    }
    return "seq " + out;
}

} // namespace stillroom
