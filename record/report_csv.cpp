// The session record as CSV (one row per event) and as a history list entry.
#include "record/report.hpp"

namespace stillroom {

namespace {

std::string cell_text(const Json& v) {
    if (v.is_null()) return "";
    if (v.is_string()) return v.get<std::string>();
    if (v.is_array()) {
        std::string out;
        for (const auto& e : v)
            out += (out.empty() ? "" : " ") + cell_text(e);
        return out;
    }
    return v.dump();
}

// RFC 4180 quoting; a text cell that a spreadsheet would run as a formula gets a quote mark.
std::string csv_cell(const Json& v) {
    std::string s = cell_text(v);
    if (v.is_string() && !s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '@' || s[0] == '\t'))
        s.insert(s.begin(), '\'');
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

} // namespace

std::string report_csv(const Json& report) {
    // The clock (wall time, the room's offset) beside the session times; who at the end.
    static const char* kColumns[] = {"t_s",  "since_dose_s", "clock", "phase", "kind",
                                     "what", "value",        "flags", "by"};
    std::string out;
    for (const char* c : kColumns)
        out += std::string(out.empty() ? "" : ",") + c;
    out += "\r\n";
    if (!report.contains("events")) return out;
    for (const auto& e : report["events"]) {
        std::string line;
        bool first = true;
        for (const char* c : kColumns) {
            line += (first ? "" : ",") + csv_cell(e.contains(c) ? e[c] : Json(nullptr));
            first = false;
        }
        out += line + "\r\n";
    }
    return out;
}

Json history_entry(const Json& report) {
    if (!report.contains("session")) return {{"error", report.value("error", "unreadable")}};
    const Json& s = report["session"];
    return {{"id", s["id"]},
            {"label", s["label"]},
            {"template_id", s["template_id"]},
            {"template_name", s["template_name"]},
            {"started_at", s["started_at"]},
            {"date", s["date"]},
            {"clock", s["clock"]},
            {"duration_s", s["duration_s"]},
            {"status", s["status"]},
            {"record", s["record"]},
            {"missing", report["form"].is_object() ? report["form"]["missing"] : Json::array()},
            {"flags", report["flags"]},
            {"signed", report.contains("signed") ? report["signed"] : Json(nullptr)}};
}

} // namespace stillroom
