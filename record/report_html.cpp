// The session record as a printable HTML page: summary, form check, an inline SVG timeline
// of phases, episodes, music and marks, a vitals chart, and the tables. No scripts and
// nothing loaded from elsewhere; every text from the journal is escaped.
#include "record/report.hpp"
#include "record/report_chart.hpp"

#include "engine/duration.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace stillroom {

namespace {

std::string esc(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string text(const Json& v) {
    if (v.is_null()) return "";
    if (v.is_string()) return esc(v.get<std::string>());
    return esc(v.dump());
}

// A code as words for a reader ("systolic_high" -> "systolic high", "spo2_low" -> "SpO2 low",
// "lights_up" -> "lights up"); the CSV and JSON keep the codes.
std::string words(const Json& v) {
    if (!v.is_string()) return text(v);
    std::string w = v.get<std::string>();
    for (auto& c : w)
        if (c == '_') c = ' ';
    if (w.rfind("spo2", 0) == 0) w = "SpO2" + w.substr(4);
    if (w.rfind("hr ", 0) == 0) w = "HR" + w.substr(2);
    return esc(w);
}

// "12:05" from seconds; "" for null. Signed for times relative to the dose.
std::string clock(const Json& v, bool sign = false) {
    if (!v.is_number()) return "";
    const Ms t{static_cast<Ms::rep>(std::llround(v.get<double>() * 1000.0))};
    return (sign && t >= Ms{0} ? "+" : "") + format_clock(t);
}

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

struct Axis {
    double left = 120, width = 760, total = 1;
    double x(double t) const { return left + width * std::clamp(t / total, 0.0, 1.0); }
};

void rect(std::string& out, double x0, double x1, double y, double h, const char* cls,
          const std::string& title) {
    out += "<rect class=\"" + std::string(cls) + "\" x=\"" + num(x0) + "\" y=\"" + num(y) +
           "\" width=\"" + num(std::max(x1 - x0, 1.5)) + "\" height=\"" + num(h) + "\"><title>" +
           esc(title) + "</title></rect>";
}

void label(std::string& out, double x, double y, const std::string& s, const char* cls = "lbl") {
    out += "<text class=\"" + std::string(cls) + "\" x=\"" + num(x) + "\" y=\"" + num(y) + "\">" +
           esc(s) + "</text>";
}

std::string timeline_svg(const Json& r) {
    Axis ax;
    ax.total = std::max(report_seconds(r["session"]["duration_s"]), 60.0);
    const double height = 210;
    std::string out =
        "<svg class=\"timeline\" viewBox=\"0 0 900 " + num(height) +
        "\" role=\"img\" aria-label=\"Session timeline\" xmlns=\"http://www.w3.org/2000/svg\">";
    const char* rows[] = {"Phases", "Hold / comfort", "Music", "Marks", "Faults"};
    for (int i = 0; i < 5; ++i)
        label(out, 4, 34 + i * 34, rows[i], "row");
    // Phases.
    int n = 0;
    for (const auto& p : r["phases"]) {
        if (!p["start_s"].is_number()) continue;
        const double x0 = ax.x(report_seconds(p["start_s"]));
        const double x1 = ax.x(p["end_s"].is_number() ? report_seconds(p["end_s"]) : ax.total);
        rect(out, x0, x1, 18, 26, n++ % 2 ? "ph2" : "ph1",
             p.value("name", "") + " " + clock(p["start_s"]));
        if (x1 - x0 > 40) label(out, x0 + 4, 36, p.value("name", ""), "phl");
    }
    // Episodes.
    for (const auto& e : r["episodes"]) {
        const std::string kind = e.value("kind", "");
        rect(out, ax.x(report_seconds(e["start_s"])),
             ax.x(e["end_s"].is_number() ? report_seconds(e["end_s"]) : ax.total), 54, 22,
             kind == "hold"      ? "ep-hold"
             : kind == "comfort" ? "ep-comfort"
                                 : "ep-lights",
             words(Json(kind)) + " " + clock(e["start_s"]));
    }
    // Music.
    n = 0;
    for (const auto& m : r["music"]) {
        const double x0 = ax.x(report_seconds(m["start_s"]));
        rect(out, x0, ax.x(m["end_s"].is_number() ? report_seconds(m["end_s"]) : ax.total), 88, 22,
             m.value("skipped", false) ? "mu-skip" : (n++ % 2 ? "mu2" : "mu1"),
             m.value("title", "") + (m.value("skipped", false) ? " (skipped)" : ""));
    }
    // Marks: dose and booster as lines through everything, then reminders and observations.
    for (const char* key : {"dose_s", "booster_s"}) {
        if (!r["dose"][key].is_number()) continue;
        const double x = ax.x(report_seconds(r["dose"][key]));
        out += "<line class=\"dose\" x1=\"" + num(x) + "\" x2=\"" + num(x) +
               "\" y1=\"12\" y2=\"182\"/>";
        label(out, x + 3, 12, key == std::string("dose_s") ? "dose" : "booster", "dosel");
    }
    for (const auto& rem : r["reminders"]) {
        const double x = ax.x(report_seconds(rem["due_s"]));
        out += "<path class=\"rem\" d=\"M" + num(x) + " 122 l5 9 h-10 z\"><title>" +
               esc(rem.value("text", "")) + "</title></path>";
    }
    for (const auto& o : r["observations"]) {
        const double x = ax.x(report_seconds(o["t_s"]));
        out += "<circle class=\"obs\" cx=\"" + num(x) + "\" cy=\"138\" r=\"4\"><title>" +
               esc(o.value("code", "")) + "</title></circle>";
    }
    for (const auto& v : r["volume"]) {
        const double x = ax.x(report_seconds(v["t_s"]));
        out += "<line class=\"vol\" x1=\"" + num(x) + "\" x2=\"" + num(x) +
               "\" y1=\"140\" y2=\"148\"/>";
    }
    for (const auto& f : r["faults"]) {
        const double s = report_seconds(f["start_s"]);
        rect(out, ax.x(s),
             ax.x(f["duration_s"].is_number() ? s + report_seconds(f["duration_s"]) : ax.total),
             158, 18, "fault", f.value("device", "") + " fault");
    }
    // Axis: a tick every 15 min (every 5 min for short sessions).
    const double step = ax.total > 3600 ? 900 : 300;
    for (double t = 0; t <= ax.total + 0.5; t += step) {
        const double x = ax.x(t);
        out += "<line class=\"tick\" x1=\"" + num(x) + "\" x2=\"" + num(x) +
               "\" y1=\"184\" y2=\"190\"/>";
        label(out, x - 10, 203, format_clock(Ms{static_cast<Ms::rep>(t * 1000)}), "axis");
    }
    return out + "</svg>";
}

std::string vitals_svg(const Json& r) {
    if (r["vitals"].empty()) return "<p class=\"none\">No vitals were recorded.</p>";
    Axis ax;
    ax.total = std::max(report_seconds(r["session"]["duration_s"]), 60.0);
    const double top = 10, h = 180, lo = 30, hi = 220;
    auto y = [&](double v) { return top + h * (1.0 - (std::clamp(v, lo, hi) - lo) / (hi - lo)); };
    std::string out =
        "<svg class=\"vitals\" viewBox=\"0 0 900 220\" role=\"img\" aria-label=\"Vitals\" "
        "xmlns=\"http://www.w3.org/2000/svg\">";
    for (double v = 40; v <= 220; v += 40) {
        out += "<line class=\"grid\" x1=\"" + num(ax.left) + "\" x2=\"" + num(ax.left + ax.width) +
               "\" y1=\"" + num(y(v)) + "\" y2=\"" + num(y(v)) + "\"/>";
        label(out, ax.left - 30, y(v) + 4, std::to_string(static_cast<int>(v)), "axis");
    }
    const Json& a = r["vitals_alert"];
    for (const char* k : {"systolic_max", "diastolic_max", "hr_min", "hr_max"}) {
        const double v = a.value(k, 0);
        out += "<line class=\"limit\" x1=\"" + num(ax.left) + "\" x2=\"" + num(ax.left + ax.width) +
               "\" y1=\"" + num(y(v)) + "\" y2=\"" + num(y(v)) + "\"><title>" + std::string(k) +
               " " + num(v) + "</title></line>";
    }
    struct Series {
        const char* key;
        const char* cls;
        const char* name;
    };
    const Series series[] = {{"systolic", "sys", "systolic"},
                             {"diastolic", "dia", "diastolic"},
                             {"hr", "hr", "heart rate"}};
    int legend = 0;
    for (const auto& s : series) {
        std::string points;
        for (const auto& v : r["vitals"]) {
            if (!report_entry_counts(v)) continue; // corrected away: not charted
            if (!v[s.key].is_number()) continue;
            const double px = ax.x(report_seconds(v["t_s"])), py = y(v[s.key].get<double>());
            points += num(px) + "," + num(py) + " ";
            bool flagged = false;
            for (const auto& f : v["flags"])
                flagged = flagged || f.get<std::string>().rfind(s.key, 0) == 0;
            out += "<circle class=\"" + std::string(s.cls) + (flagged ? " flagged" : "") +
                   "\" cx=\"" + num(px) + "\" cy=\"" + num(py) + "\" r=\"" + (flagged ? "5" : "3") +
                   "\"><title>" + s.name + " " + v[s.key].dump() + "</title></circle>";
        }
        if (!points.empty())
            out += "<polyline class=\"" + std::string(s.cls) + "\" points=\"" + points + "\"/>";
        label(out, 4, 24 + legend++ * 18, s.name, s.cls);
    }
    return out + "</svg>";
}

// The wall clock of a row ("14:03:12", the room's time) or "".
std::string wall(const Json& row) {
    const Json c = row.value("clock", Json(nullptr));
    if (!c.is_string() || c.get<std::string>().size() < 19) return "";
    return esc(c.get<std::string>().substr(11, 8));
}

// " (14:03:12, therapist)" for an entry's who and when, or "".
std::string who_when(const Json& row) {
    const std::string w = wall(row);
    const Json by = row.value("by", Json(nullptr));
    if (w.empty() && !by.is_string()) return "";
    return " (" + w + (by.is_string() ? ", " + text(by) : "") + ")";
}

// The dose's structured fields: ", 75 mg IM"; corrected ones struck through with the values
// that stand, who and when ("wrong-value").
std::string dose_fields_html(const Json& dose) {
    const std::string as_marked = report_dose_fields(dose);
    const Json amended = dose.value("amended", Json(nullptr));
    if (!amended.is_object()) return as_marked.empty() ? "" : ", " + text(Json(as_marked));
    const std::string now = report_dose_fields(amended);
    return ", <s>" + text(Json(as_marked.empty() ? "none" : as_marked)) + "</s> " +
           text(Json(now.empty() ? "none" : now)) + " (wrong-value, " + text(amended["by"]) +
           " at " + text(amended["clock"]) + ")";
}

// A clinical entry's state: "entered in error by X at T", "corrected", "amended by X at T".
std::string status_note(const Json& row) {
    const std::string status = row.value("status", std::string("final"));
    const Json list = row.value("corrections", Json::array());
    if (status == "amended")
        return "amended by " + text(row.value("amended_by", Json(""))) + " at " +
               text(row.value("amended_clock", Json("")));
    if (list.empty()) return "";
    const Json& c = list.back();
    std::string note =
        text(c["reason"]) + " (by " + text(c["by"]) + " at " + text(c["clock"]) + ")";
    if (c.value("late", false)) note += " addendum";
    return "<span class=\"flag\">" + note + "</span>";
}

// A row whose entry was corrected: its cells struck through (the original stays readable).
std::vector<std::string> struck(const Json& row, std::vector<std::string> cells) {
    const std::string status = row.value("status", std::string("final"));
    if (status != "entered-in-error" && status != "corrected") return cells;
    for (std::size_t i = 0; i + 1 < cells.size(); ++i)
        if (!cells[i].empty()) cells[i] = "<s>" + cells[i] + "</s>";
    return cells;
}

std::string table(const std::vector<std::string>& head,
                  const std::vector<std::vector<std::string>>& rows, const std::string& empty) {
    if (rows.empty()) return "<p class=\"none\">" + esc(empty) + "</p>";
    std::string out = "<table><thead><tr>";
    for (const auto& h : head)
        out += "<th>" + esc(h) + "</th>";
    out += "</tr></thead><tbody>";
    for (const auto& row : rows) {
        out += "<tr>";
        for (const auto& c : row)
            out += "<td>" + c + "</td>";
        out += "</tr>";
    }
    return out + "</tbody></table>";
}

// A fixed light scheme whatever the viewer prefers: a clinical record is read and printed on
// white. Every element that holds text gets its colours set here (nothing is left to the
// browser's defaults, which follow a dark preference), and print keeps the fills.
const char* kStyle = R"(
:root{color-scheme:light only;-webkit-print-color-adjust:exact;print-color-adjust:exact}
html{background:#fff;color:#111}
body{font:14px/1.4 system-ui,sans-serif;color:#111;background:#fff;margin:24px;max-width:960px}
h1,h2,p,dl,dt,dd,span,table,thead,tbody,tr{color:inherit;background:transparent}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 6px;border-bottom:1px solid #999}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}dt{color:#444}dd{margin:0;color:#111}
table{border-collapse:collapse;width:100%;margin:4px 0;background:#fff;color:#111}
th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top;color:#111;background:#fff}
th{background:#eee}.missing td{background:#fde2e2;color:#111}.flag{color:#a00;font-weight:600}.none{color:#444;font-style:italic}
.flags span{display:inline-block;border:1px solid #a00;color:#a00;background:#fff;border-radius:3px;padding:0 6px;margin-right:6px}
svg{width:100%;height:auto;border:1px solid #ccc;background:#fff;color:#111}
svg text{fill:#111}
.row,.axis,.lbl{font-size:11px;fill:#333}.phl{font-size:11px;fill:#000}.dosel{font-size:11px;fill:#a00}
.ph1{fill:#c9d8ec}.ph2{fill:#a9c1e0}.ep-hold{fill:#bbb}.ep-comfort{fill:#9cc9a4}.ep-lights{fill:#f2d36b}
.mu1{fill:#d9c7ea}.mu2{fill:#c1a6dd}.mu-skip{fill:#e7a0a0}.dose{stroke:#a00;stroke-width:2}.rem{fill:#e08a00}
.obs{fill:#7a3db8}.vol{stroke:#333}.fault{fill:#d33}.tick,.grid{stroke:#999;stroke-width:.5}
.limit{stroke:#a00;stroke-dasharray:4 3;stroke-width:1}polyline{fill:none;stroke-width:1.5}
polyline.sys{stroke:#c0392b}polyline.dia{stroke:#1f6fa3}polyline.hr{stroke:#1e7e46}
circle.sys{fill:#c0392b}circle.dia{fill:#1f6fa3}circle.hr{fill:#1e7e46}circle.flagged{stroke:#000;stroke-width:2}
text.sys{fill:#c0392b;font-size:11px}text.dia{fill:#1f6fa3;font-size:11px}text.hr{fill:#1e7e46;font-size:11px}
@page{size:A4;margin:14mm}
@media print{html,body{background:#fff;color:#000}body{margin:0;max-width:none;font-size:11pt}
h2{break-after:avoid}table,svg{break-inside:avoid}tr{break-inside:avoid}thead{display:table-header-group}
th,td{color:#000}}
)";

} // namespace

std::string report_html(const Json& r) {
    std::string out = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                      "<meta name=\"color-scheme\" content=\"light only\"><title>Session record ";
    if (!r.contains("session")) {
        return out + "</title><style>" + std::string(kStyle) +
               "</style></head><body><h1>Session record</h1><p class=\"flag\">" +
               text(r.value("error", Json(""))) + "</p></body></html>";
    }
    const Json& s = r["session"];
    out += text(s["id"]) + "</title><style>" + std::string(kStyle) + "</style></head><body>";
    out += "<h1>Session record</h1><dl>";
    auto item = [&](const char* k, const std::string& v) {
        out += "<dt>" + std::string(k) + "</dt><dd>" + v + "</dd>";
    };
    item("Session", text(s["id"]));
    item("Label", text(s["label"]));
    item("Template", text(s["template_name"]) + " (" + text(s["template_id"]) + ")");
    item("Started", s["date"].is_string() ? text(s["date"]) + " " + text(s["clock"]) : "unknown");
    item("Duration", clock(s["duration_s"]) + " (" + words(s["status"]) + ")");
    item("Dose", r["dose"]["dose_s"].is_number()
                     ? clock(r["dose"]["dose_s"]) + " after start" + who_when(r["dose"]) +
                           dose_fields_html(r["dose"])
                     : "not marked");
    if (r["dose"]["booster_s"].is_number())
        item("Booster",
             "dose " + clock(r["dose"]["booster_since_dose_s"], true) +
                 (r["dose"]["booster"].is_object() ? dose_fields_html(r["dose"]["booster"])
                                                   : std::string()));
    item("Monitoring after dose",
         r["monitoring_s"].is_number()
             ? std::to_string(static_cast<long long>(report_seconds(r["monitoring_s"]) / 60)) +
                   " min"
             : "");
    if (r.contains("monitoring") && r["monitoring"].is_object()) { // a monitoring clock
        const Json& m = r["monitoring"];
        const Json& d = m["discharge"];
        item("Discharge",
             "monitoring " + clock(m["after_dose_s"]) + " after the dose asked; " +
                 (d.is_object() ? "discharged at dose " + clock(d["since_dose_s"], true) +
                                      who_when(d) + ": monitoring time reached, last BP " +
                                      (d["checklist"]["bp"].is_object()
                                           ? text(d["checklist"]["bp"]["systolic"]) + "/" +
                                                 text(d["checklist"]["bp"]["diastolic"])
                                           : "none") +
                                      (d["checklist"]["bp_in_range"] == true ? " in range"
                                                                             : " not in range") +
                                      ", sedation and dissociation resolved"
                                : "<span class=\"flag\">no discharge checklist</span>"));
    }
    const Json sig = r.value("signed", Json(nullptr));
    item("Signed", sig.is_object() ? "by " + text(sig["by"]) + " at " + text(sig["clock"])
                                   : "<span class=\"flag\">not signed</span>");
    out += "</dl>";
    if (!r["flags"].empty()) {
        out += "<p class=\"flags\">";
        for (const auto& f : r["flags"])
            out += "<span>" + words(f) + "</span>";
        out += "</p>";
    }
    for (const auto& p : s["journal"]["problems"])
        out += "<p class=\"flag\">" + text(p) + "</p>";

    if (r["form"].is_object()) {
        const Json& f = r["form"];
        out += "<h2>" + text(f["title"]) +
               "</h2><table class=\"form\"><thead><tr><th>Field</th><th>Value</th>"
               "<th>Status</th></tr></thead><tbody>";
        for (const auto& field : f["fields"]) {
            const bool ok = field.value("status", "") == "ok";
            out += std::string("<tr") + (ok ? "" : " class=\"missing\"") + "><td>" +
                   text(field["label"]) + "</td><td>" + text(field["value"]) + "</td><td>" +
                   (ok ? "ok" : "missing") + "</td></tr>";
        }
        out += "</tbody></table>";
        for (const auto& m : f["missing"])
            out += "<p class=\"flag\">" + text(m) + "</p>";
    }

    out += "<h2>Timeline</h2>" + timeline_svg(r);
    out += "<h2>Vitals</h2>" + vitals_svg(r);
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : r["vitals"]) {
        std::string flags;
        for (const auto& f : v["flags"])
            flags += words(f) + " ";
        rows.push_back(
            struck(v, {clock(v["t_s"]), clock(v["since_dose_s"], true), wall(v),
                       text(v["systolic"]), text(v["diastolic"]), text(v["hr"]), text(v["spo2"]),
                       flags.empty() ? "" : "<span class=\"flag\">" + flags + "</span>",
                       text(v.value("by", Json(""))), status_note(v)}));
    }
    if (!rows.empty()) // none: the chart above already says "No vitals were recorded."
        out += table({"Time", "Since dose", "Clock", "Systolic", "Diastolic", "HR", "SpO2", "Flags",
                      "By", "Entry"},
                     rows, "");
    // The room's monitors (docs/vitals.md): every alert episode, and the minute rows.
    rows.clear();
    for (const auto& a : r.value("alerts", Json::array()))
        rows.push_back({text(a["priority"]), text(a["kind"]), text(a["source"]), text(a["value"]),
                        clock(a["start_s"]), a["acked_by"].is_null() ? "" : text(a["acked_by"]),
                        clock(a["ack_s"]), a.value("escalated", false) ? "yes" : "",
                        clock(a["end_s"])});
    out += "<h3>Monitor alerts</h3>" + table({"Priority", "Alert", "Source", "Worst", "Start",
                                              "Acknowledged by", "At", "To the clinic", "End"},
                                             rows, "No monitor alerts.");
    rows.clear();
    auto span = [&](const Json& m, const char* sign) {
        if (!m.contains(sign)) return std::string();
        const Json& st = m[sign];
        return text(st["min"]) + " / " + text(st["median"]) + " / " + text(st["max"]);
    };
    for (const auto& m : r.value("vitals_trend", Json::array()))
        rows.push_back({clock(m["minute_s"]), span(m, "spo2"), span(m, "hr")});
    out += "<h3>Monitor trend (per minute: min / median / max)</h3>" +
           table({"Minute", "SpO2", "HR"}, rows, "No monitor readings.");

    out += "<h2>Phases</h2>";
    rows.clear();
    for (const auto& p : r["phases"])
        rows.push_back({text(p["name"]), words(p["status"]), clock(p["start_s"]), clock(p["end_s"]),
                        clock(p["start_since_dose_s"], true), clock(p["end_since_dose_s"], true),
                        clock(p["planned_s"]), clock(p["extended_s"]), clock(p["held_s"])});
    out += table({"Phase", "Status", "Start", "End", "Start (dose)", "End (dose)", "Planned",
                  "Extended", "Held"},
                 rows, "");

    out += "<h2>Reminders</h2>";
    rows.clear();
    for (const auto& m : r["reminders"])
        rows.push_back(
            {text(m["text"]), clock(m["due_s"]), clock(m["due_since_dose_s"], true),
             clock(m["done_s"]),
             m["late_s"].is_number() ? clock(m["late_s"]) : "<span class=\"flag\">not done</span>",
             text(m["done_by"])});
    out +=
        table({"Reminder", "Due", "Due (dose)", "Done", "Late by", "How"}, rows, "No reminders.");

    out += "<h2>Observations</h2>";
    rows.clear();
    for (const auto& o : r["observations"])
        rows.push_back(
            struck(o, {clock(o["t_s"]), clock(o["since_dose_s"], true), wall(o), text(o["phase"]),
                       text(o["code"]), text(o.value("by", Json(""))), status_note(o)}));
    out += table({"Time", "Since dose", "Clock", "Phase", "Observation", "By", "Entry"}, rows,
                 "No observations were marked.");

    out += "<h2>Corrections</h2>";
    rows.clear();
    for (const auto& c : r.value("corrections", Json::array()))
        rows.push_back({text(c["seq"]), text(c["corrects"]), text(c["kind"]), text(c["reason"]),
                        c.contains("value") ? text(Json(dump_json(c["value"]))) : "", text(c["by"]),
                        text(c["clock"]),
                        c.value("late", false)
                            ? "<span class=\"flag\">addendum (after sign-off)</span>"
                            : ""});
    out += table({"Entry", "Corrects", "Kind", "Reason", "Corrected to", "By", "Clock", ""}, rows,
                 "No corrections.");

    out += "<h2>Outages</h2>";
    rows.clear();
    for (const auto& o : r.value("outages", Json::array()))
        rows.push_back({text(o["from"]), text(o["to"]), clock(o["from_s"]), clock(o["to_s"]),
                        clock(o["duration_s"])});
    out += table({"Down from", "Back at", "From (session)", "To (session)", "Lasted"}, rows,
                 "The room was not down during the session.");

    out += "<h2>Holds, Comfort and Lights up</h2>";
    rows.clear();
    for (const auto& e : r["episodes"])
        rows.push_back({words(e["kind"]), text(e["phase"]), clock(e["start_s"]),
                        clock(e["since_dose_s"], true), clock(e["duration_s"])});
    out += table({"What", "Phase", "Start", "Since dose", "Lasted"}, rows, "None.");

    out += "<h2>Extensions and volume</h2>";
    rows.clear();
    for (const auto& e : r["extensions"])
        rows.push_back(
            {clock(e["t_s"]), text(e["source"]), text(e["phase"]), "+" + clock(e["by_s"])});
    for (const auto& v : r["volume"]) {
        std::string what;
        for (const char* k : {"db", "step_db", "trim_db"})
            if (v.contains(k)) what += std::string(k) + " " + text(v[k]);
        rows.push_back({clock(v["t_s"]), "volume", "", what});
    }
    if (r.contains("depth"))
        for (const auto& d : r["depth"]) {
            std::string what;
            for (const char* k : {"level", "step", "trim"})
                if (d.contains(k)) what += std::string(k) + " " + text(d[k]);
            rows.push_back({clock(d["t_s"]), "depth", "", what});
        }
    out += table({"Time", "What", "Phase", "Change"}, rows, "None.");

    out += "<h2>Music played</h2>";
    rows.clear();
    for (const auto& m : r["music"])
        rows.push_back(
            {clock(m["start_s"]), clock(m["end_s"]), text(m["playlist"]),
             text(m["title"]) + (m.value("artist", "").empty() ? "" : " — " + text(m["artist"])),
             m.value("skipped", false) ? "<span class=\"flag\">skipped</span>" : ""});
    out += table({"Start", "End", "Playlist", "Track", ""}, rows, "No music played.");

    out += "<h2>Device faults</h2>";
    rows.clear();
    for (const auto& f : r["faults"])
        rows.push_back(
            {text(f["device"]), clock(f["start_s"]),
             clock(f["duration_s"]) + (f.value("ongoing", false) ? " (still at end)" : ""),
             text(f["detail"])});
    out += table({"Device", "Start", "Lasted", "Detail"}, rows, "No device faults.");
    out += "<p class=\"none\">Times are since the session start (h:mm:ss) or since the dose (+/-). "
           "No patient data is kept by Stillroom.</p></body></html>";
    return out;
}

} // namespace stillroom
