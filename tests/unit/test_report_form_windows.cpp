// The spravato-rems form's windows (docs/report.md "Record forms"), every edge from both
// sides, through the whole path: a session journals the readings, build_report() reads the
// journal, the form is filled from that report. The dose is marked 10 minutes after the
// start, so "since the dose" and "since the start" never agree: a window measured from the
// wrong anchor fails a row. Expected values are written out by hand.
//
// Windows: BP before dose = at or before the dose; BP at ~40 min = 30 to 50 min after the
// dose (both ends included); BP before discharge = more than 50 min after the dose and at
// most 30 min before the session's end; monitoring = at least 120 min from dose to end.
#include "fixtures.hpp"
#include "test_support.hpp"

#include "record/report.hpp"

#include <algorithm>

using namespace stillroom;
using namespace stillroom::test;
using namespace std::chrono_literals;

namespace {

const char* kWindowsTemplate = R"({
  "name": "REMS windows",
  "record": "spravato-rems",
  "observations": ["sedation", "dissociation", "respiratory"],
  "phases": [
    {"id": "settle", "until": "dose", "duration": "10m", "playlist": "settle"},
    {"id": "after", "until": "therapist", "duration": "3h", "playlist": "peak"}
  ],
  "end": {"fade": "30s"}
})";

constexpr Ms kDoseAt = 10min; // since the session's start
constexpr Ms kEndFade = 30s;

struct WindowRow {
    const char* name;
    const char* field;        // the form field under test
    std::vector<Ms> readings; // since the dose (negative: before it)
    Ms monitored;             // dose to the session's end (End + its 30 s fade)
    const char* value;        // the field's value when ok; nullptr: missing
    bool dose = true;         // false: the dose is never marked
};

// Readings are 130/80 unless the row says otherwise; times written since the dose.
const std::vector<WindowRow> kRows = {
    // BP before dose: at or before the dose mark.
    {"pre-dose: at the dose", "bp_pre_dose", {0s}, 130min, "130/80 at dose+0:00"},
    {"pre-dose: 1 s before the dose", "bp_pre_dose", {-1s}, 130min, "130/80 at dose-0:01"},
    {"pre-dose: 1 s after the dose", "bp_pre_dose", {1s}, 130min, nullptr},
    {"pre-dose: the last one before the dose",
     "bp_pre_dose",
     {-9min, -2min, 3min},
     130min,
     "130/80 at dose-2:00"},
    // BP at ~40 min: 30:00 to 50:00 after the dose, both included; the closest to 40 wins.
    {"40 min: 29:59 is too early", "bp_40_min", {29min + 59s}, 130min, nullptr},
    {"40 min: 30:00 is in", "bp_40_min", {30min}, 130min, "130/80 at dose+30:00"},
    {"40 min: 50:00 is in", "bp_40_min", {50min}, 130min, "130/80 at dose+50:00"},
    {"40 min: 50:01 is too late", "bp_40_min", {50min + 1s}, 130min, nullptr},
    {"40 min: the closest to 40 wins",
     "bp_40_min",
     {31min, 41min, 49min},
     130min,
     "130/80 at dose+41:00"},
    // BP before discharge: after 50:00 from the dose, at most 30:00 before the end.
    {"discharge: 30:00 before the end is in",
     "bp_discharge",
     {100min},
     130min,
     "130/80 at dose+1:40:00"},
    {"discharge: 30:01 before the end is too early",
     "bp_discharge",
     {99min + 59s},
     130min,
     nullptr},
    {"discharge: 50:00 after the dose is not after the 40 min window",
     "bp_discharge",
     {50min},
     75min,
     nullptr},
    {"discharge: 50:01 after the dose is in",
     "bp_discharge",
     {50min + 1s},
     75min,
     "130/80 at dose+50:01"},
    {"discharge: the last one in the window",
     "bp_discharge",
     {105min, 110min, 125min},
     130min,
     "130/80 at dose+2:05:00"},
    // Monitoring: at least 120 min from the dose to the session's end.
    {"monitoring: 120:00", "monitoring", {}, 120min, "120 min"},
    {"monitoring: 119:59", "monitoring", {}, 119min + 59s, nullptr},
    // The dose itself.
    {"dose: marked", "dose", {}, 130min, "10:00 after start"},
    {"dose: never marked", "dose", {}, 130min, nullptr, false},
};

// Runs the row's session and returns its report's form.
Json form_of(const WindowRow& row) {
    Session s(setup_from(kWindowsTemplate, three_hour_playlists()));
    JournalContents journal;
    auto take = [&](const Effects& effects) {
        for (const auto& e : effects)
            if (const auto* r = std::get_if<JournalRecord>(&e.body))
                journal.records.push_back(r->record);
    };
    take(s.start());
    // Every command in time order; at the same instant the reading comes first.
    struct Step {
        Ms at;
        bool reading;
    };
    std::vector<Step> steps;
    for (Ms since : row.readings)
        steps.push_back({kDoseAt + since, true});
    if (row.dose) steps.push_back({kDoseAt, false});
    std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
        return a.at < b.at || (a.at == b.at && a.reading && !b.reading);
    });
    for (const Step& step : steps) {
        take(s.advance_to(step.at));
        Command c = cmd(step.reading ? CommandKind::Vitals : CommandKind::Dose);
        if (step.reading) c.vitals = {130, 80, 70, 98};
        const Outcome o = s.apply(c, step.at);
        REQUIRE(o.accepted);
        take(o.effects);
    }
    const Ms end_at = kDoseAt + row.monitored - kEndFade;
    take(s.advance_to(end_at));
    const Outcome end = s.apply(cmd(CommandKind::End), end_at);
    REQUIRE(end.accepted);
    take(end.effects);
    take(s.advance_to(kDoseAt + row.monitored));
    REQUIRE(s.status() == SessionStatus::Finished);
    const Json report = build_report(journal);
    // The session is what the row meant (seconds, written out).
    if (row.dose) {
        CHECK(report["dose"]["dose_s"] == 600);
        CHECK(report["monitoring_s"] ==
              std::chrono::duration_cast<std::chrono::seconds>(row.monitored).count());
    }
    CHECK(report["vitals"].size() == row.readings.size());
    return report["form"];
}

} // namespace

TEST_CASE("spravato-rems: each window edge of each field, from both sides (table)") {
    for (const auto& row : kRows) {
        const std::string name = row.name;
        CAPTURE(name);
        const Json form = form_of(row);
        REQUIRE(form.is_object());
        CHECK(form["id"] == "spravato-rems");
        const Json* field = nullptr;
        for (const auto& f : form["fields"])
            if (f["key"] == row.field) field = &f;
        REQUIRE(field);
        const std::string value = (*field)["value"].get<std::string>();
        CAPTURE(value);
        if (row.value) {
            CHECK((*field)["status"] == "ok");
            CHECK((*field)["value"] == row.value);
        } else {
            CHECK((*field)["status"] == "missing");
            const std::string label = (*field)["label"];
            bool listed = false;
            for (const auto& m : form["missing"]) {
                const std::string text = m;
                listed =
                    listed || text == label + ": missing" ||
                    (row.field == std::string("monitoring") && text == "monitoring 119 min < 120");
            }
            CHECK(listed);
            CHECK(form["complete"] == false);
        }
    }
}
