// Corrections, sign-off and outages in the session record.
#include "record/report_chart.hpp"

#include "engine/wall_clock.hpp"
#include "record/report.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace stillroom {

namespace {

using Corrections = std::map<std::int64_t, std::vector<Json>>; // by the seq they correct

std::optional<Ms> ms_of(const Json& seconds) {
    if (!seconds.is_number()) return std::nullopt;
    return Ms{static_cast<Ms::rep>(std::llround(seconds.get<double>() * 1000.0))};
}

// The clock `clock` moved by `by` (a wrong-time correction), or null.
Json shifted_clock(const Json& clock, Ms by) {
    if (!clock.is_string()) return nullptr;
    const auto wall = parse_iso8601(clock.get<std::string>());
    if (!wall) return nullptr;
    return iso8601_at_offset(wall->unix_ms + by.count(), wall->offset_min);
}

VitalsAlert alert_of(const Json& report) {
    const Json& a = report["vitals_alert"];
    VitalsAlert alert;
    alert.systolic_max = a.value("systolic_max", alert.systolic_max);
    alert.diastolic_max = a.value("diastolic_max", alert.diastolic_max);
    alert.hr_min = a.value("hr_min", alert.hr_min);
    alert.hr_max = a.value("hr_max", alert.hr_max);
    alert.spo2_min = a.value("spo2_min", alert.spo2_min);
    return alert;
}

// Marks one row; returns the amended row a wrong-value / wrong-time correction makes (or
// null). `value_keys` are the row's keys a wrong-value correction replaces.
Json mark(Json& row, const Corrections& corrections, const Json& report,
          std::initializer_list<const char*> value_keys) {
    row["status"] = "final";
    row["corrections"] = Json::array();
    const Json& seq_json = row.contains("seq") ? row["seq"] : Json(nullptr);
    const std::int64_t seq = seq_json.is_number_integer() ? seq_json.get<std::int64_t>() : 0;
    const auto it = seq > 0 ? corrections.find(seq) : corrections.end();
    if (it == corrections.end()) return nullptr;
    row["corrections"] = it->second;
    const Json& last = it->second.back();
    const std::string reason = last.value("reason", "");
    if (reason == "entered-in-error") {
        row["status"] = "entered-in-error";
        return nullptr;
    }
    row["status"] = "corrected";
    Json amended = row;
    amended.erase("corrections");
    amended["status"] = "amended";
    amended["amends"] = seq;
    amended["seq"] = last["seq"];
    amended["amended_by"] = last["by"];
    amended["amended_clock"] = last["clock"];
    const Json& value = last.contains("value") ? last["value"] : Json::object();
    if (reason == "wrong-value") {
        for (const char* k : value_keys)
            amended[k] = value.contains(k) ? value[k] : Json(nullptr);
    } else if (auto t = ms_of(value.value("t_s", Json(nullptr)))) {
        const Ms was = ms_of(row.value("t_s", Json(nullptr))).value_or(*t);
        amended["t_s"] = report_seconds(*t);
        amended["clock"] = shifted_clock(row.value("clock", Json(nullptr)), *t - was);
    }
    const auto dose = ms_of(report["dose"]["dose_s"]);
    const auto t = ms_of(amended.value("t_s", Json(nullptr)));
    amended["since_dose_s"] = dose && t ? report_seconds(*t - *dose) : Json(nullptr);
    return amended;
}

void sort_by_time(Json& rows) {
    std::stable_sort(rows.begin(), rows.end(), [](const Json& a, const Json& b) {
        return ms_of(a["t_s"]).value_or(Ms{0}) < ms_of(b["t_s"]).value_or(Ms{0});
    });
}

Json outages(const JournalContents& journal) {
    Json out = Json::array();
    for (std::size_t i = 1; i < journal.records.size(); ++i) {
        const Json& r = journal.records[i];
        if (r.value("type", "") != "event" || r.value("event", "") != "resumed") continue;
        const Json& before = journal.records[i - 1];
        const auto from_t = before.value("t", Ms::rep{0});
        const auto to_t = r.value("t", Ms::rep{0});
        Json o = {{"from", before.contains("clock") ? before["clock"] : Json(nullptr)},
                  {"to", r.contains("clock") ? r["clock"] : Json(nullptr)},
                  {"from_s", report_seconds(Ms{from_t})},
                  {"to_s", report_seconds(Ms{to_t})},
                  {"duration_s", report_seconds(Ms{std::max<Ms::rep>(to_t - from_t, 0)})}};
        // The wall clock says how long the room was really down (a --speed session too).
        if (o["from"].is_string() && o["to"].is_string()) {
            const auto a = parse_iso8601(o["from"].get<std::string>());
            const auto b = parse_iso8601(o["to"].get<std::string>());
            if (a && b)
                o["duration_s"] =
                    report_seconds(Ms{std::max<std::int64_t>(b->unix_ms - a->unix_ms, 0)});
        }
        out.push_back(std::move(o));
    }
    return out;
}

} // namespace

void apply_chart(Json& report, const JournalContents& journal) {
    Corrections corrections;
    Json all = Json::array();
    report["signed"] = nullptr;
    for (const auto& r : journal.records) {
        const std::string type = r.value("type", "");
        if (type == "signed") {
            report["signed"] = {{"by", r.value("by", "")},
                                {"clock", r.contains("clock") ? r["clock"] : Json(nullptr)},
                                {"seq", r.contains("seq") ? r["seq"] : Json(nullptr)}};
        } else if (type == "correct") {
            Json c = {{"seq", r.contains("seq") ? r["seq"] : Json(nullptr)},
                      {"corrects", r.value("corrects", std::int64_t{0})},
                      {"kind", r.value("kind", "")},
                      {"reason", r.value("reason", "")},
                      {"by", r.contains("by") ? r["by"] : Json(nullptr)},
                      {"clock", r.contains("clock") ? r["clock"] : Json(nullptr)},
                      {"late", r.value("late", false)}};
            if (r.contains("value")) c["value"] = r["value"];
            all.push_back(c);
            corrections[c["corrects"].get<std::int64_t>()].push_back(std::move(c));
        }
    }
    report["corrections"] = all;

    const VitalsAlert alert = alert_of(report);
    Json vitals = Json::array();
    for (auto& v : report["vitals"]) {
        Json amended = mark(v, corrections, report, {"systolic", "diastolic", "hr", "spo2"});
        vitals.push_back(v);
        if (amended.is_object()) {
            amended["flags"] = report_vitals_flags(amended, alert);
            vitals.push_back(std::move(amended));
        }
    }
    sort_by_time(vitals);
    report["vitals"] = vitals;

    Json observations = Json::array();
    for (auto& o : report["observations"]) {
        Json amended = mark(o, corrections, report, {"code"});
        observations.push_back(o);
        if (amended.is_object()) observations.push_back(std::move(amended));
    }
    sort_by_time(observations);
    report["observations"] = observations;

    // The dose and booster: the timeline stays (it was delivered); a wrong-time correction
    // has already moved the dose-relative times (report.cpp).
    // A wrong-value correction of its structured fields (amount_mg, route) puts the values
    // that stand in `amended` ({"amount_mg", "route", "seq", "by", "clock"}).
    Json& dose = report["dose"];
    auto mark_dose = [&](Json& entry) {
        const Json amended = mark(entry, corrections, report, {"amount_mg", "route"});
        const Json& list = entry["corrections"];
        if (!amended.is_object() || list.empty() ||
            list.back().value("reason", "") != "wrong-value")
            return;
        entry["amended"] = {{"amount_mg", amended["amount_mg"]},
                            {"route", amended["route"]},
                            {"seq", amended["seq"]},
                            {"by", amended["amended_by"]},
                            {"clock", amended["amended_clock"]}};
    };
    mark_dose(dose);
    if (dose["booster"].is_object()) mark_dose(dose["booster"]);

    // A reminder answered by an entry corrected away is not done.
    std::map<std::int64_t, std::string> status_of;
    for (const auto& [seq, list] : corrections)
        if (list.back().value("reason", "") == "entered-in-error")
            status_of[seq] = "entered-in-error";
    for (auto& rem : report["reminders"]) {
        const Json& done = rem.value("done_seq", Json(nullptr));
        if (!done.is_number_integer() || !status_of.count(done.get<std::int64_t>())) continue;
        rem["done_s"] = nullptr;
        rem["done_by"] = nullptr;
        rem["late_s"] = nullptr;
        rem["undone_by_correction"] = done;
    }
    for (auto& e : report["events"]) {
        const Json& seq = e.value("seq", Json(nullptr));
        if (seq.is_number_integer() && corrections.count(seq.get<std::int64_t>()))
            e["flags"].push_back(corrections[seq.get<std::int64_t>()].back().value("reason", ""));
    }
    report["outages"] = outages(journal);
}

} // namespace stillroom
