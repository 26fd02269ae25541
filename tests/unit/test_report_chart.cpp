// The record as a chart: a scripted session through the real Room (manual clock, the room
// in Europe/Berlin) with entries by two users, corrections of every kind, an outage (the
// room killed and resumed), the sign-off and an addendum after it; the record compared with
// a golden file (tests/golden/report_chart.json; a mismatch writes .actual beside it).
#include "small_library.hpp"
#include "temp_dir.hpp"

#include "engine/journal.hpp"
#include "record/report.hpp"
#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

Command chart_cmd(CommandKind kind) {
    Command c;
    c.kind = kind;
    return c;
}

const char* kTemplate = R"({
  "name": "Esketamine 2h",
  "record": "spravato-rems",
  "observations": ["nausea", "anxiety", "dissociation", "sedation", "respiratory"],
  "phases": [
    {"id": "settle", "name": "Settle", "until": "dose", "duration": "10m"},
    {"id": "onset", "name": "Onset", "duration": "20m"},
    {"id": "peak", "name": "Peak", "duration": "40m"},
    {"id": "return", "name": "Return", "until": "therapist", "duration": "60m"}
  ],
  "cues": [
    {"at": "dose+15m", "remind": "Check blood pressure", "vitals": true},
    {"at": "dose+40m", "remind": "BP at 40 minutes", "vitals": true}
  ],
  "end": {"fade": "30s"}
})";

Command vitals(int sys, int dia, int hr, int spo2, int cue = -1) {
    Command c = chart_cmd(CommandKind::Vitals);
    c.vitals = {sys, dia, hr, spo2};
    c.cue = cue;
    return c;
}

Command observe(const std::string& code) {
    Command c = chart_cmd(CommandKind::Observe);
    c.code = code;
    return c;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

struct Scripted {
    std::string id;
    fs::path state;
};

// The session; every correction and the sign-off go through the Room as the API sends them.
Scripted script(const fs::path& dir) {
    fs::create_directories(dir / "lib/sessions");
    std::ofstream(dir / "lib/room.json") << R"({"room":"r","timezone":"Europe/Berlin"})";
    std::ofstream(dir / "lib/sessions/s.json") << kTemplate;
    Problems problems;
    const Library lib = load_library(dir / "lib", problems);
    REQUIRE_MESSAGE(!problems.has_errors(), problems.to_string());
    const fs::path state = dir / "state";
    ManualClock clock; // wall clock 2026-09-21T14:30:00Z at the start (ManualClock)
    std::string id;
    std::int64_t typo = 0, late_bp = 0, nausea = 0, dose = 0;
    {
        Room room(lib, state, clock);
        room.set_boot_id("boot-1");
        REQUIRE(room.start_by({"s", "R1-AM"}, "therapist").ok);
        id = room.state()["session"]["id"].get<std::string>();
        clock.advance_by(5min);
        REQUIRE(room.command_by(vitals(128, 82, 72, 98), "therapist").ok);
        clock.advance_by(3min);
        dose = room.command_by(chart_cmd(CommandKind::Dose), "therapist").seq;
        clock.advance_by(4min);
        nausea = room.command_by(observe("nausea"), "therapist").seq;
        clock.advance_by(1min);
        typo = room.command_by(vitals(118, 70, 99, 97), "therapist").seq; // a mis-tap
        clock.advance_by(10min);
        room.tick(); // the reminder at dose+15m
        late_bp = room.command_by(vitals(182, 104, 88, 96, 0), "therapist").seq; // 182: a typo
        clock.advance_by(2min);
        room.tick();
    }                       // the room is killed
    clock.advance_by(7min); // down for 7 minutes (same boot)
    Room room(lib, state, clock);
    room.set_boot_id("boot-1");
    REQUIRE(room.resume() == id);
    // Corrections: the user's own mis-tap, a clinic user's fix of another's value, a time.
    auto correct = [&](std::int64_t seq, const char* reason, Json value, const char* by,
                       bool clinic) {
        Correction c{seq, reason, std::move(value)};
        return room.correct(c, by, clinic);
    };
    CHECK(correct(typo, "entered-in-error", nullptr, "therapist", false).ok);
    CHECK(correct(late_bp, "wrong-value",
                  {{"systolic", 142}, {"diastolic", 90}, {"hr", 88}, {"spo2", 96}}, "demo", true)
              .ok);
    CHECK(correct(dose, "wrong-time", {{"t_s", 420}}, "therapist", false).ok); // given at 7:00
    CHECK(correct(nausea, "wrong-value", {{"code", "anxiety"}}, "therapist", false).ok);
    // Refusals change nothing: another therapist's entry, an unknown seq, a bad value.
    CHECK(correct(typo, "entered-in-error", nullptr, "other", false).status == 403);
    CHECK(correct(9999, "entered-in-error", nullptr, "therapist", false).status == 404);
    CHECK(correct(typo, "entered-in-error", nullptr, "therapist", false).status == 409);
    CHECK(correct(late_bp, "wrong-value", {{"systolic", 400}}, "demo", true).status == 400);
    CHECK(correct(late_bp, "wrong-time", {{"t_s", 999999}}, "demo", true).status == 400);
    clock.advance_by(20min);
    room.tick(); // the reminder at dose+40m is never answered
    REQUIRE(room.command_by(observe("dissociation"), "demo").ok);
    clock.advance_by(1min);
    CHECK(room.sign(id, "therapist").status == 409); // not before the end
    REQUIRE(room.command_by(chart_cmd(CommandKind::End), "therapist").ok);
    clock.advance_by(1min);
    room.tick();
    REQUIRE(room.state()["session"]["status"] == "finished");
    const CommandResult signed_off = room.sign(id, "therapist");
    CHECK(signed_off.ok);
    CHECK(room.sign(id, "demo").status == 409); // once
    clock.advance_by(3min);
    // After the sign-off a correction is an addendum.
    const std::int64_t diss = room.state()["session"]["entries"].back()["seq"].get<std::int64_t>();
    CHECK(correct(diss, "entered-in-error", nullptr, "demo", true).ok);
    return {id, state};
}

} // namespace

TEST_CASE("the record of a session with corrections, an outage and a sign-off matches its "
          "golden record") {
    TempDir dir;
    const Scripted s = script(dir.path);
    const Json report = build_report(read_journal(journal_path(s.state, s.id)));
    const fs::path golden = fs::path(STILLROOM_SOURCE_DIR) / "tests/golden/report_chart.json";
    Json stable = report;
    stable["session"]["id"] = "s-golden"; // the id is random
    const std::string actual = stable.dump(2) + "\n";
    if (actual != read_file(golden)) {
        std::ofstream(golden.string() + ".actual", std::ios::binary) << actual;
        FAIL("the record differs from " << golden.string() << "; see " << golden.string()
                                        << ".actual");
    }
    // The facts, spelled out.
    CHECK(report["session"]["started_at"] == "2026-09-21T16:30:00+02:00"); // CEST
    CHECK(report["session"]["started_by"] == "therapist");
    CHECK(report["dose"]["dose_s"] == 420); // the corrected time; the booster-free timeline
    CHECK(report["dose"]["status"] == "corrected");
    CHECK(report["dose"]["clock"] == "2026-09-21T16:38:00+02:00"); // when it was entered
    const Json& v = report["vitals"];
    REQUIRE(v.size() == 4); // pre-dose, the mis-tap (struck), 182 (struck) and its 142
    CHECK(v[1]["status"] == "entered-in-error");
    CHECK(v[1]["corrections"][0]["by"] == "therapist");
    CHECK(v[2]["status"] == "corrected");
    CHECK(v[2]["systolic"] == 182);
    CHECK(v[3]["status"] == "amended");
    CHECK(v[3]["systolic"] == 142);
    CHECK(v[3]["amended_by"] == "demo");
    CHECK(v[3]["flags"].empty()); // the corrected value is not flagged; 182 no longer counts
    const Json flags = report["flags"];
    CAPTURE(flags.dump());
    CHECK(std::find(flags.begin(), flags.end(), "vitals_flagged") == flags.end());
    CHECK(std::find(flags.begin(), flags.end(), "reminder_missed") != flags.end());
    CHECK(std::find(flags.begin(), flags.end(), "outage") != flags.end());
    REQUIRE(report["outages"].size() == 1);
    // From the last record before the kill (the reading at 16:53) to the resume at 17:02.
    CHECK(report["outages"][0]["duration_s"] == 9 * 60);
    CHECK(report["signed"]["by"] == "therapist");
    CHECK(report["corrections"].back()["late"] == true);
    CHECK(report["observations"][0]["status"] == "corrected");
    CHECK(report["observations"][1]["code"] == "anxiety");
    CHECK(report["observations"].back()["status"] == "entered-in-error");
    // The BP form reads only readings that stand: 142/90 at dose+15m is not "at ~40 min".
    CHECK(report["form"]["complete"] == false);
}

TEST_CASE("the chart as FHIR: corrected readings are entered-in-error, the sign-off a "
          "Provenance, the patient only a label") {
    TempDir dir;
    const Scripted s = script(dir.path);
    const Json bundle = report_fhir(build_report(read_journal(journal_path(s.state, s.id))));
    REQUIRE(bundle["resourceType"] == "Bundle");
    CHECK(bundle["type"] == "collection");
    std::map<std::string, int> types;
    int wrong = 0, corrected = 0;
    Json patient;
    for (const auto& e : bundle["entry"]) {
        const Json& r = e["resource"];
        ++types[r["resourceType"].get<std::string>()];
        if (r["resourceType"] == "Patient") patient = r;
        if (r["resourceType"] != "Observation") continue;
        if (r["status"] == "entered-in-error") ++wrong;
        if (r["status"] == "corrected") ++corrected;
    }
    CHECK(types["Encounter"] == 1);
    CHECK(types["Procedure"] == 1);
    CHECK(types["MedicationAdministration"] == 1);
    CHECK(types["Provenance"] == 1);
    CHECK(types["Practitioner"] == 2); // therapist, demo
    CHECK(wrong == 3 * 2 + 1 + 1);     // two readings x (BP, HR, SpO2), nausea, dissociation
    CHECK(corrected == 3 + 1);         // the amended reading (BP, HR, SpO2) and anxiety
    CHECK(patient ==
          Json{{"resourceType", "Patient"},
               {"id", "patient"},
               {"identifier", {{{"system", "urn:stillroom:session-label"}, {"value", "R1-AM"}}}}});
}
