// The monitoring clock and discharge checklist (docs/vitals.md "Monitoring clock"): a
// template with "monitoring": {"after_dose": "2h"} (Spravato REMS: at least two hours after
// the dose) shows the time left in session.monitoring; discharge is refused until the time
// is reached and the last blood pressure that stands is in range, and needs the therapist to
// confirm sedation and dissociation resolved; the discharge goes into the journal, the
// record and the REMS form.
#include "temp_dir.hpp"

#include "engine/commands.hpp"
#include "engine/journal.hpp"
#include "engine/template.hpp"
#include "library/library.hpp"
#include "record/report.hpp"
#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const char* kTemplate = R"({
  "name": "Esketamine 2h",
  "record": "spravato-rems",
  "monitoring": {"after_dose": "2h"},
  "observations": ["nausea", "dissociation", "sedation", "respiratory"],
  "phases": [
    {"id": "settle", "name": "Settle", "until": "dose", "duration": "10m"},
    {"id": "observe", "name": "Observation", "until": "therapist", "duration": "2h"}
  ],
  "end": {"fade": "10s"}
})";

Command cmd_of(CommandKind kind) {
    Command c;
    c.kind = kind;
    return c;
}

Command bp(int sys, int dia) {
    Command c = cmd_of(CommandKind::Vitals);
    c.vitals.systolic = sys;
    c.vitals.diastolic = dia;
    return c;
}

struct Scripted {
    fs::path dir;
    Library lib;
};

Library library_in(const fs::path& dir) {
    fs::create_directories(dir / "lib/sessions");
    std::ofstream(dir / "lib/room.json") << R"({"room":"r","timezone":"UTC"})";
    std::ofstream(dir / "lib/sessions/rems.json") << kTemplate;
    Problems problems;
    Library lib = load_library(dir / "lib", problems);
    REQUIRE_MESSAGE(!problems.has_errors(), problems.to_string());
    return lib;
}

const Json& item(const Json& monitoring, const char* name) {
    for (const auto& i : monitoring["checklist"])
        if (i["item"] == name) return i;
    FAIL("no checklist item " << name);
    static const Json none;
    return none;
}

} // namespace

TEST_CASE("a template's monitoring clock: after_dose is a duration of 1m to 24h") {
    struct Case {
        const char* monitoring;
        const char* problem; // "" = loads
    };
    const Case cases[] = {
        {R"({"after_dose": "2h"})", ""},
        {R"({"after_dose": 7200})", ""},
        {R"({"after_dose": "30s"})", "monitoring.after_dose: expected 1m to 24h"},
        {R"({"after_dose": "25h"})", "monitoring.after_dose: expected 1m to 24h"},
        {R"({})", "monitoring.after_dose"},
        {R"({"after_dose": "2h", "before": "1h"})", "monitoring.before"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.monitoring);
        Json t = Json::parse(kTemplate);
        t["monitoring"] = Json::parse(c.monitoring);
        Problems problems("sessions/rems.json");
        const auto loaded = load_template(t, "rems", problems);
        CAPTURE(problems.to_string());
        CHECK(bool(loaded) == std::string(c.problem).empty());
        if (loaded) CHECK(loaded->monitoring.has_value());
        if (!loaded) CHECK(problems.to_string().find(c.problem) != std::string::npos);
    }
}

TEST_CASE("discharge: the therapist confirms sedation and dissociation resolved, no free text") {
    struct Case {
        const char* args;
        const char* problem; // "" = parses
    };
    const Case cases[] = {
        {R"({"sedation_resolved": true, "dissociation_resolved": true})", ""},
        {R"({"sedation_resolved": false, "dissociation_resolved": true})", "sedation_resolved"},
        {R"({"sedation_resolved": true})", "dissociation_resolved"},
        {R"({"sedation_resolved": true, "dissociation_resolved": true, "note": "fine"})", "note"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.args);
        Problems p;
        const auto cmd = parse_command(CommandKind::Discharge, Json::parse(c.args), p);
        CHECK(bool(cmd) == std::string(c.problem).empty());
        if (!cmd) CHECK(p.to_string().find(c.problem) != std::string::npos);
        if (cmd)
            CHECK(command_args_json(*cmd) ==
                  Json{{"sedation_resolved", true}, {"dissociation_resolved", true}});
    }
}

TEST_CASE("the monitoring clock counts down from the dose; discharge waits for the time and a "
          "blood pressure in range, and goes into the record and the REMS form") {
    TempDir dir;
    const Library lib = library_in(dir.path);
    ManualClock clock;
    Room room(lib, dir.path / "state", clock);
    REQUIRE(room.start_by({"rems", "R1-AM"}, "therapist").ok);
    const std::string id = room.state()["session"]["id"].get<std::string>();
    const Command discharge = *[] {
        Problems p;
        return parse_command(CommandKind::Discharge,
                             {{"sedation_resolved", true}, {"dissociation_resolved", true}}, p);
    }();

    Json m = room.state()["session"]["monitoring"];
    CHECK(m["after_dose_s"] == 7200.0);
    CHECK(m["left_s"].is_null()); // no dose yet
    CHECK(room.command_by(discharge, "therapist").message == "monitoring_time: no dose is marked");

    clock.advance_by(5min);
    REQUIRE(room.command_by(bp(128, 82), "therapist").ok);
    REQUIRE(room.command_by(cmd_of(CommandKind::Dose), "therapist").ok);
    clock.advance_by(1h);
    room.tick();
    m = room.state()["session"]["monitoring"];
    CHECK(m["left_s"] == 3600.0);
    CHECK(m["reached"] == false);
    CHECK(item(m, "monitoring_time")["ok"] == false);
    CHECK(item(m, "bp_in_range")["ok"] == true); // 128/82 before the dose stands
    const CommandResult early = room.command_by(discharge, "therapist");
    CHECK_FALSE(early.ok);
    CHECK(early.status == 409);
    CHECK(early.message == "monitoring_time: 1:00:00 left");

    clock.advance_by(1h);
    room.tick();
    const std::int64_t high = room.command_by(bp(182, 104), "therapist").seq;
    m = room.state()["session"]["monitoring"];
    CHECK(m["left_s"] == 0.0);
    CHECK(m["reached"] == true);
    CHECK(item(m, "bp_in_range")["ok"] == false);
    CHECK(m["ready"] == false);
    const CommandResult high_bp = room.command_by(discharge, "therapist");
    CHECK(high_bp.status == 409);
    CHECK(high_bp.message.rfind("bp_in_range: the last blood pressure (182/104)", 0) == 0);

    // 182 was a typo: corrected to 132/84, which now stands.
    REQUIRE(room.correct({high, "wrong-value", {{"systolic", 132}, {"diastolic", 84}}}, "therapist",
                         false)
                .ok);
    m = room.state()["session"]["monitoring"];
    CHECK(item(m, "bp_in_range")["bp"]["systolic"] == 132);
    CHECK(m["ready"] == true);
    const CommandResult done = room.command_by(discharge, "therapist");
    REQUIRE(done.ok);
    m = done.body["session"]["monitoring"];
    CHECK(m["discharged"]["seq"] == done.seq);
    CHECK(m["discharged"]["by"] == "therapist");
    CHECK(item(m, "sedation_resolved")["ok"] == true);
    CHECK(room.command_by(discharge, "therapist").message.rfind("already discharged", 0) == 0);
    REQUIRE(room.command_by(cmd_of(CommandKind::End), "therapist").ok);

    const Json report = build_report(read_journal(journal_path(dir.path / "state", id)));
    const Json& rm = report["monitoring"];
    CHECK(rm["after_dose_s"] == 7200);
    CHECK(rm["reached"] == true);
    const Json& d = rm["discharge"];
    CHECK(d["seq"] == done.seq);
    CHECK(d["since_dose_s"] == 7200);
    CHECK(d["checklist"]["bp"]["systolic"] == 132);
    CHECK(d["checklist"]["bp_in_range"] == true);
    const auto flags = report["flags"].get<std::vector<std::string>>();
    CHECK(std::find(flags.begin(), flags.end(), "discharge_missing") == flags.end());
    bool form_has = false;
    for (const auto& f : report["form"]["fields"])
        if (f["key"] == "discharge") {
            form_has = true;
            CHECK(f["status"] == "ok");
            CHECK(f["value"].get<std::string>().find("last BP 132/84 in range") !=
                  std::string::npos);
        }
    CHECK(form_has);
    CHECK(report_html(report).find("discharged at dose +2:00:00") != std::string::npos);
    CHECK(report_csv(report).find(",discharge,") != std::string::npos);
}

TEST_CASE("a session with a monitoring clock ended without discharge: flagged, the form "
          "incomplete") {
    TempDir dir;
    const Library lib = library_in(dir.path);
    ManualClock clock;
    Room room(lib, dir.path / "state", clock);
    REQUIRE(room.start_by({"rems", "R1-AM"}, "therapist").ok);
    const std::string id = room.state()["session"]["id"].get<std::string>();
    REQUIRE(room.command_by(cmd_of(CommandKind::Dose), "therapist").ok);
    clock.advance_by(30min);
    REQUIRE(room.command_by(cmd_of(CommandKind::End), "therapist").ok);
    const Json report = build_report(read_journal(journal_path(dir.path / "state", id)));
    CHECK(report["monitoring"]["discharge"].is_null());
    CHECK(report["monitoring"]["reached"] == false);
    const auto flags = report["flags"].get<std::vector<std::string>>();
    CHECK(std::find(flags.begin(), flags.end(), "discharge_missing") != flags.end());
    const auto missing = report["form"]["missing"].get<std::vector<std::string>>();
    CHECK(std::find(missing.begin(), missing.end(), "discharge checklist: not done") !=
          missing.end());
}
