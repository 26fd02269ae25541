// Every vitals alert threshold, on both sides, by itself: the default thresholds and a
// template's own. A reading exactly at a limit is not flagged; one unit beyond it is. Each
// reading is checked where the flags are made (vitals_flags), where the session journals
// them (the "vitals_alert" event) and where the report reads them back from the journal
// (report_vitals_flags, the report's vitals rows and its "vitals_flagged" flag).
// The limits are written out as numbers here, not read from VitalsAlert.
#include "fixtures.hpp"
#include "test_support.hpp"

#include "record/report.hpp"

#include <algorithm>

using namespace stillroom;
using namespace stillroom::test;

namespace {

struct Reading {
    std::optional<int> systolic, diastolic, hr, spo2;
};

struct ThresholdRow {
    const char* name;
    Reading reading;
    std::vector<std::string> flags;
};

// Defaults (docs/api.md, docs/report.md): systolic > 160, diastolic > 100, hr < 50 or > 120, spo2
// < 92.
const std::vector<ThresholdRow> kDefaultRows = {
    {"systolic at 160", {160, {}, {}, {}}, {}},
    {"systolic 161", {161, {}, {}, {}}, {"systolic_high"}},
    {"diastolic at 100", {{}, 100, {}, {}}, {}},
    {"diastolic 101", {{}, 101, {}, {}}, {"diastolic_high"}},
    {"diastolic 101 under a normal systolic", {120, 101, {}, {}}, {"diastolic_high"}},
    {"systolic 120 with diastolic 100", {120, 100, {}, {}}, {}},
    {"hr at 50", {{}, {}, 50, {}}, {}},
    {"hr 49", {{}, {}, 49, {}}, {"hr_low"}},
    {"hr at 120", {{}, {}, 120, {}}, {}},
    {"hr 121", {{}, {}, 121, {}}, {"hr_high"}},
    {"spo2 at 92", {{}, {}, {}, 92}, {}},
    {"spo2 91", {{}, {}, {}, 91}, {"spo2_low"}},
    {"all beyond", {161, 101, 121, 91}, {"systolic_high", "diastolic_high", "hr_high", "spo2_low"}},
};

// A template's own: systolic 150, diastolic 90, hr 55..110, spo2 95.
const char* kAlert =
    R"({"systolic_max": 150, "diastolic_max": 90, "hr_min": 55, "hr_max": 110, "spo2_min": 95})";
const std::vector<ThresholdRow> kTemplateRows = {
    {"systolic at 150", {150, {}, {}, {}}, {}},
    {"systolic 151", {151, {}, {}, {}}, {"systolic_high"}},
    {"diastolic at 90", {{}, 90, {}, {}}, {}},
    {"diastolic 91", {{}, 91, {}, {}}, {"diastolic_high"}},
    {"diastolic 91 under a normal systolic", {118, 91, {}, {}}, {"diastolic_high"}},
    {"systolic 140 with diastolic 90", {140, 90, {}, {}}, {}},
    {"hr at 55", {{}, {}, 55, {}}, {}},
    {"hr 54", {{}, {}, 54, {}}, {"hr_low"}},
    {"hr at 110", {{}, {}, 110, {}}, {}},
    {"hr 111", {{}, {}, 111, {}}, {"hr_high"}},
    {"spo2 at 95", {{}, {}, {}, 95}, {}},
    {"spo2 94", {{}, {}, {}, 94}, {"spo2_low"}},
};

// One reading in a running session; returns every journal record the session wrote.
JournalContents session_with(const Reading& reading, const std::optional<Json>& alert) {
    Json tmpl = Json::parse(kThreeHourTemplate);
    if (alert) tmpl["vitals"] = {{"alert", *alert}};
    Session s(setup_from(tmpl.dump(), three_hour_playlists()));
    JournalContents journal;
    auto take = [&](const Effects& effects) {
        for (const auto& e : effects)
            if (const auto* r = std::get_if<JournalRecord>(&e.body))
                journal.records.push_back(r->record);
    };
    take(s.start());
    take(s.apply(cmd(CommandKind::Dose), mins(5)).effects);
    Command v = cmd(CommandKind::Vitals);
    v.vitals = {reading.systolic, reading.diastolic, reading.hr, reading.spo2};
    const Outcome o = s.apply(v, mins(20));
    REQUIRE(o.accepted);
    take(o.effects);
    REQUIRE(s.vitals().size() == 1);
    take(s.apply(cmd(CommandKind::End), mins(30)).effects);
    take(s.advance_to(mins(40)));
    return journal;
}

void check_rows(const std::vector<ThresholdRow>& rows, const std::optional<Json>& alert) {
    for (const auto& row : rows) {
        const std::string name = row.name;
        CAPTURE(name);
        const Reading& r = row.reading;
        // Where the flags are made.
        VitalsAlert limits;
        if (alert) {
            limits.systolic_max = (*alert)["systolic_max"].get<int>();
            limits.diastolic_max = (*alert)["diastolic_max"].get<int>();
            limits.hr_min = (*alert)["hr_min"].get<int>();
            limits.hr_max = (*alert)["hr_max"].get<int>();
            limits.spo2_min = (*alert)["spo2_min"].get<int>();
        }
        CHECK(vitals_flags({Ms{0}, r.systolic, r.diastolic, r.hr, r.spo2, ""}, limits) ==
              row.flags);
        Json args = Json::object();
        if (r.systolic) args["systolic"] = *r.systolic;
        if (r.diastolic) args["diastolic"] = *r.diastolic;
        if (r.hr) args["hr"] = *r.hr;
        if (r.spo2) args["spo2"] = *r.spo2;
        CHECK(report_vitals_flags(args, limits) == row.flags);

        // Where the session journals them: one vitals_alert event, or none.
        const JournalContents journal = session_with(r, alert);
        std::vector<Json> alerts;
        for (const auto& rec : journal.records)
            if (rec.value("event", "") == "vitals_alert") alerts.push_back(rec["flags"]);
        if (row.flags.empty()) {
            CHECK(alerts.empty());
        } else {
            REQUIRE(alerts.size() == 1);
            CHECK(alerts[0] == Json(row.flags));
        }

        // Where the report reads them back from that journal.
        const Json report = build_report(journal);
        REQUIRE(report["vitals"].size() == 1);
        CHECK(report["vitals"][0]["flags"] == Json(row.flags));
        const Json& flags = report["flags"];
        const bool flagged =
            std::find(flags.begin(), flags.end(), Json("vitals_flagged")) != flags.end();
        CHECK(flagged == !row.flags.empty());
    }
}

} // namespace

TEST_CASE("vitals thresholds (defaults): every limit, both sides, diastolic by itself") {
    check_rows(kDefaultRows, std::nullopt);
}

TEST_CASE("vitals thresholds (a template's own): every limit, both sides, diastolic by itself") {
    check_rows(kTemplateRows, Json::parse(kAlert));
}
