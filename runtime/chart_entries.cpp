// The session's clinical entries and their corrections.
#include "runtime/chart_entries.hpp"

#include "record/report.hpp"

namespace stillroom {

bool is_correction_reason(const std::string& reason) {
    return reason == "entered-in-error" || reason == "wrong-time" || reason == "wrong-value";
}

std::optional<Correction> parse_correction(const Json& body, Problems& problems) {
    const auto errors_before = problems.error_count();
    ObjectReader obj(body, "", problems);
    if (!obj.is_object()) return std::nullopt;
    Correction c;
    if (auto seq = obj.integer("seq", Need::Required, 1, std::int64_t{1} << 40)) c.seq = *seq;
    if (auto reason = obj.string("reason", Need::Required)) {
        if (!is_correction_reason(*reason))
            problems.error("reason", "expected entered-in-error, wrong-time or wrong-value, got " +
                                         describe_json(Json(*reason)));
        c.reason = *reason;
    }
    if (const Json* v = obj.get("value")) {
        if (!v->is_object())
            problems.error("value", "expected an object, got " + describe_json(*v));
        else
            c.value = *v;
    }
    obj.finish();
    if (problems.error_count() == errors_before) {
        if (c.reason == "entered-in-error" && !c.value.is_null())
            problems.error("value", "entered-in-error takes no value");
        if (c.reason != "entered-in-error" && c.value.is_null())
            problems.error("value",
                           "expected the corrected " +
                               std::string(c.reason == "wrong-time" ? "time {\"t_s\"}" : "value"));
    }
    if (problems.error_count() != errors_before) return std::nullopt;
    return c;
}

bool ChartEntry::entered_in_error() const {
    for (const auto& c : corrections)
        if (c.value("reason", "") == "entered-in-error") return true;
    return false;
}

void ChartEntries::on_record(const Json& r) {
    const std::string type = r.value("type", "");
    const std::int64_t seq = r.value("seq", std::int64_t{0});
    if (type == "signed") {
        signed_ = {{"by", r.value("by", "")}, {"clock", r.value("clock", "")}};
        return;
    }
    if (type == "correct") {
        for (auto& e : entries_)
            if (e.seq == r.value("corrects", std::int64_t{-1})) {
                Json c = {{"seq", seq},
                          {"reason", r.value("reason", "")},
                          {"by", r.value("by", "")},
                          {"clock", r.value("clock", "")},
                          {"late", r.value("late", false)}};
                if (r.contains("value")) c["value"] = r["value"];
                e.corrections.push_back(std::move(c));
            }
        return;
    }
    if (type == "vitals_ack") { // a flagged reading seen, for every tablet (the first one counts)
        for (auto& e : entries_)
            if (e.seq == r.value("entry", std::int64_t{-1}) && e.acked.is_null())
                e.acked = {
                    {"seq", seq}, {"by", r.value("by", "")}, {"clock", r.value("clock", "")}};
        return;
    }
    if (type != "cmd" || seq == 0) return;
    const std::string cmd = r.value("cmd", "");
    const Json args = r.contains("args") && r["args"].is_object() ? r["args"] : Json::object();
    if (cmd == "discharge") {
        discharged_ = {{"seq", seq},
                       {"by", r.value("by", "")},
                       {"clock", r.value("clock", "")},
                       {"t_s", report_seconds(Ms{r.value("t", std::int64_t{0})})}};
        return;
    }
    std::string kind;
    if (cmd == "dose")
        kind = args.value("booster", false) ? "booster" : "dose";
    else if (cmd == "vitals" || cmd == "observe" || cmd == "ack")
        kind = cmd;
    else
        return;
    ChartEntry e;
    e.seq = seq;
    e.kind = kind;
    e.t_ms = r.value("t", std::int64_t{0});
    e.by = r.value("by", "");
    e.clock = r.value("clock", "");
    e.value = args;
    entries_.push_back(std::move(e));
}

const ChartEntry* ChartEntries::find(std::int64_t seq) const {
    for (const auto& e : entries_)
        if (e.seq == seq) return &e;
    return nullptr;
}

Json ChartEntries::to_json() const {
    Json out = Json::array();
    for (const auto& e : entries_) {
        out.push_back({{"seq", e.seq},
                       {"kind", e.kind},
                       {"t_s", report_seconds(Ms{e.t_ms})},
                       {"by", e.by},
                       {"clock", e.clock},
                       {"value", e.value},
                       {"status", e.entered_in_error()    ? "entered-in-error"
                                  : e.corrections.empty() ? "final"
                                                          : "corrected"},
                       {"corrections", e.corrections}});
        if (!e.acked.is_null()) {
            out.back()["acked_by"] = e.acked["by"];
            out.back()["acked_clock"] = e.acked["clock"];
        }
    }
    return out;
}

} // namespace stillroom
