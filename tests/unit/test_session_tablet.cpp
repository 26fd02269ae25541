// Issue 9 (the therapist's tablet) in the engine: Next never ends a session, the volume
// model (arc + trim + overlay under the ceiling), labels, vitals ranges and alerts, the
// booster only where it applies, and the timeline / summary views.
#include "engine/plan.hpp"
#include "engine/restore.hpp"
#include "fixtures.hpp"
#include "runtime/session_views.hpp"
#include "test_support.hpp"

using namespace stillroom;
using namespace stillroom::test;

namespace {

Command volume(VolumeHow how, double db) {
    Command c = cmd(CommandKind::Volume);
    c.volume_how = how;
    c.db = db;
    return c;
}

Command overlay(CommandKind k, bool on) {
    Command c = cmd(k);
    c.on = on;
    return c;
}

// The journal a session wrote, as restore_session() reads it.
struct TabletRecorder {
    JournalContents journal;
    void take(const Effects& effects) {
        for (const auto& e : effects)
            if (const auto* r = std::get_if<JournalRecord>(&e.body))
                journal.records.push_back(r->record);
    }
};

const char* kNoBooster = R"({
  "name": "No booster",
  "phases": [
    {"id": "settle", "until": "dose", "duration": "10m", "playlist": "settle", "volume_db": -20},
    {"id": "peak", "duration": "30m", "playlist": "peak"},
    {"id": "return", "until": "therapist", "duration": "20m", "playlist": "peak", "volume_db": -24}
  ]
})";

std::optional<Command> parse(CommandKind kind, const char* json, Problems& p) {
    return parse_command(kind, Json::parse(json), p);
}

} // namespace

TEST_CASE("Next in the last phase is refused; only End ends the session") {
    Session s(setup_from(kThreeHourTemplate, three_hour_playlists()));
    s.start();
    s.apply(cmd(CommandKind::Dose), mins(5));
    Command to_return = cmd(CommandKind::Next);
    to_return.phase = "return";
    REQUIRE(s.apply(to_return, mins(6)).accepted);
    const Outcome next = s.apply(cmd(CommandKind::Next), mins(7));
    CHECK_FALSE(next.accepted);
    CHECK(next.reason == "this is the last phase: Next never ends a session; hold End to end it");
    CHECK(s.status() == SessionStatus::Running);
    CHECK(s.desired_state(mins(8)).phase_id == "return");
    REQUIRE(s.apply(cmd(CommandKind::End), mins(8)).accepted);
    CHECK(s.status() == SessionStatus::Ending);
}

TEST_CASE("the planner ends a therapist last phase with End (Next would be refused)") {
    const Plan plan = build_plan(setup_from(kThreeHourTemplate, three_hour_playlists()));
    // settle 10m, onset 20m, peak 1h30m, return 1h planned; then the 60 s end fade.
    CHECK(plan.length == mins(10 + 20 + 90 + 60) + std::chrono::seconds{60});
}

TEST_CASE("volume: the therapist's trim survives phase changes") {
    Session s(setup_from(kThreeHourTemplate, three_hour_playlists()));
    s.start();
    s.apply(cmd(CommandKind::Dose), mins(5)); // onset: arc -18
    // The reported defect: -34 in Onset came back as -20 (here -18) at the next phase.
    REQUIRE(s.apply(volume(VolumeHow::Level, -34), mins(6)).accepted);
    auto d = s.desired_state(mins(7));
    CHECK(d.volume_trim_db == doctest::Approx(-16));
    CHECK(d.volume_target_db == doctest::Approx(-34));
    s.advance_to(mins(40)); // peak: no volume_db, the arc stays
    CHECK(s.desired_state(mins(40)).volume_target_db == doctest::Approx(-34));
    s.advance_to(mins(5 + 20 + 90 + 1)); // return (from 1:55:00): arc -24
    d = s.desired_state(s.now());
    CHECK(d.phase_id == "return");
    CHECK(d.volume_arc_db == doctest::Approx(-24));
    CHECK(d.volume_trim_db == doctest::Approx(-16));
    CHECK(d.volume_target_db == doctest::Approx(-40));
    s.advance_to(mins(5 + 20 + 90 + 3)); // the cue phase:return+2m sets the arc to -28
    CHECK(s.desired_state(s.now()).volume_target_db == doctest::Approx(-44));
}

TEST_CASE("volume: + always raises the effective level, in every overlay") {
    struct Case {
        const char* name;
        std::vector<std::pair<CommandKind, bool>> overlays;
    };
    const std::vector<Case> cases = {
        {"none", {}},
        {"comfort", {{CommandKind::Comfort, true}}},
        {"lights up", {{CommandKind::LightsUp, true}}},
        {"comfort and lights up", {{CommandKind::Comfort, true}, {CommandKind::LightsUp, true}}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        Session s(setup_from(kThreeHourTemplate, three_hour_playlists()));
        s.start();
        s.apply(cmd(CommandKind::Dose), mins(5));
        s.apply(volume(VolumeHow::Trim, 10), mins(6)); // arc -18 + 10 = -8, near the -6 ceiling
        for (const auto& [k, on] : c.overlays)
            REQUIRE(s.apply(overlay(k, on), mins(7)).accepted);
        double before = s.desired_state(mins(8)).volume_target_db;
        for (int tap = 0; tap < 40; ++tap) {
            const Outcome o = s.apply(volume(VolumeHow::Step, 1), mins(8));
            REQUIRE(o.accepted);
            const double after = s.desired_state(mins(8)).volume_target_db;
            CAPTURE(tap);
            if (before >= -6 - 1e-9) {
                CHECK(after == doctest::Approx(-6)); // at the ceiling: stays, says so
                CHECK(o.reason == "limited to the room's maximum of -6.0 dB");
            } else {
                CHECK(after > before);
            }
            CHECK(after <= -6 + 1e-9);
            before = after;
        }
        // And - always lowers it again at once, even after taps against the ceiling.
        s.apply(volume(VolumeHow::Step, -3), mins(9));
        CHECK(s.desired_state(mins(9)).volume_target_db == doctest::Approx(-9));
        // Overlays end: the trim stays, the level is arc + trim (under the ceiling).
        for (const auto& [k, on] : c.overlays)
            s.apply(overlay(k, false), mins(10));
        const auto d = s.desired_state(mins(11));
        CHECK(d.volume_overlay_db == 0);
        CHECK(d.volume_target_db ==
              doctest::Approx(std::min(-6.0, d.volume_arc_db + d.volume_trim_db)));
    }
}

TEST_CASE("volume: the overlay offset is applied over arc + trim and removed after") {
    Session s(setup_from(kThreeHourTemplate, three_hour_playlists()));
    s.start();
    s.apply(cmd(CommandKind::Dose), mins(5)); // arc -18
    s.apply(volume(VolumeHow::Trim, -4), mins(6));
    CHECK(s.desired_state(mins(7)).volume_target_db == doctest::Approx(-22));
    s.apply(overlay(CommandKind::Comfort, true), mins(7));
    CHECK(s.desired_state(mins(9)).volume_target_db == doctest::Approx(-28)); // comfort -6
    s.apply(volume(VolumeHow::Step, 2), mins(9));
    CHECK(s.desired_state(mins(9)).volume_target_db == doctest::Approx(-26));
    s.apply(overlay(CommandKind::Comfort, false), mins(10));
    const auto d = s.desired_state(mins(12));
    CHECK(d.volume_trim_db == doctest::Approx(-2));
    CHECK(d.volume_target_db == doctest::Approx(-20)); // louder than before comfort, as asked
}

TEST_CASE("volume: the trim is journaled as a trim and survives a resume") {
    TabletRecorder rec;
    Session s(setup_from(kThreeHourTemplate, three_hour_playlists()));
    rec.take(s.start());
    rec.take(s.apply(cmd(CommandKind::Dose), mins(5)).effects);
    rec.take(s.apply(volume(VolumeHow::Step, -5), mins(6)).effects);
    rec.take(s.apply(volume(VolumeHow::Step, -5), mins(7)).effects);
    rec.take(s.advance_to(mins(40)));
    bool found = false;
    for (const auto& r : rec.journal.records)
        if (r.value("cmd", "") == "volume") {
            found = true;
            CHECK(r["args"].contains("trim_db"));
        }
    CHECK(found);
    Problems problems("journal");
    auto restored = restore_session(rec.journal, problems);
    REQUIRE(restored);
    restored->session->advance_to(mins(40));
    const auto d = restored->session->desired_state(mins(40));
    CHECK(d.volume_trim_db == doctest::Approx(-10));
    CHECK(d.volume_target_db == doctest::Approx(-28));
    CHECK(d == s.desired_state(mins(40)));
}

TEST_CASE("volume command arguments") {
    struct Row {
        const char* json;
        bool ok;
        VolumeHow how;
        double db;
    };
    const std::vector<Row> rows = {
        {R"({"step_db": 3})", true, VolumeHow::Step, 3},
        {R"({"step_db": -1.5})", true, VolumeHow::Step, -1.5},
        {R"({"trim_db": -12})", true, VolumeHow::Trim, -12},
        {R"({"db": -30})", true, VolumeHow::Level, -30},
        {R"({})", false, VolumeHow::Level, 0},
        {R"({"step_db": 3, "trim_db": 1})", false, VolumeHow::Level, 0},
        {R"({"step_db": 30})", false, VolumeHow::Level, 0},
        {R"({"trim_db": "loud"})", false, VolumeHow::Level, 0},
    };
    for (const auto& r : rows) {
        CAPTURE(r.json);
        Problems p("req");
        auto c = parse(CommandKind::Volume, r.json, p);
        CHECK(c.has_value() == r.ok);
        if (c && r.ok) {
            CHECK(c->volume_how == r.how);
            CHECK(c->db == r.db);
            Problems again("req");
            CHECK(parse_command(CommandKind::Volume, command_args_json(*c), again) == c);
        }
    }
}

TEST_CASE("labels: letters, digits and dashes, at most 12, at least one digit, no spaces") {
    const std::vector<std::pair<const char*, bool>> rows = {
        {"R1-AM", true},
        {"A1", true},
        {"7", true},
        {"A", false},        // no digit: could be a name
        {"Jane-Doe", false}, // a name that passed the old rule (issue 19 item 6)
        {"JANEDOE", false},
        {"ABCDEF-12345", true},
        {"", true},
        {"Jane Doe", false},
        {"MRN 12345678", false},
        {"ABCDEF-123456", false},
        {"a_b", false},
        {"x.y", false},
        {"#12", false},
        {"é1", false},
    };
    for (const auto& [label, ok] : rows) {
        CAPTURE(label);
        CHECK(is_valid_label(label) == ok);
        Problems p("start");
        auto r = parse_start_request({{"template", "im"}, {"label", label}}, p);
        CHECK(r.has_value() == ok);
        if (!ok) {
            CHECK(p.to_string().find("at most 12 letters, digits and dashes") != std::string::npos);
            CHECK(p.to_string().find(label) ==
                  std::string::npos); // a refused label is never echoed
        }
    }
}

TEST_CASE("vitals: impossible values are refused naming the field") {
    struct Row {
        const char* json;
        const char* field; // nullptr: accepted
    };
    const std::vector<Row> rows = {
        {R"({"systolic": 120, "diastolic": 80, "hr": 70, "spo2": 98})", nullptr},
        {R"({"systolic": 260, "diastolic": 150})", nullptr},
        {R"({"systolic": 261})", "systolic"},
        {R"({"systolic": 59})", "systolic"},
        {R"({"diastolic": 29})", "diastolic"},
        {R"({"diastolic": 161})", "diastolic"},
        {R"({"systolic": 120, "diastolic": 120})", "diastolic"},
        {R"({"systolic": 110, "diastolic": 130})", "diastolic"},
        {R"({"hr": 24})", "hr"},
        {R"({"hr": 231})", "hr"},
        {R"({"hr": 30})", nullptr},
        {R"({"spo2": 49})", "spo2"},
        {R"({"spo2": 101})", "spo2"},
        {R"({"spo2": 82})", nullptr},
    };
    for (const auto& r : rows) {
        CAPTURE(r.json);
        Problems p("vitals");
        auto c = parse(CommandKind::Vitals, r.json, p);
        CHECK(c.has_value() == (r.field == nullptr));
        if (r.field) CHECK(p.to_string().find(std::string(r.field) + ":") != std::string::npos);
    }
}

TEST_CASE("vitals: alert thresholds from the template flag readings, listed with time since dose") {
    Json tmpl = Json::parse(kNoBooster);
    tmpl["vitals"] = {{"alert", {{"systolic_max", 150}, {"hr_min", 55}, {"spo2_min", 94}}}};
    SessionSetup setup = setup_from(tmpl.dump(), three_hour_playlists());
    CHECK(setup.tmpl.vitals_alert.systolic_max == 150);
    CHECK(setup.tmpl.vitals_alert.diastolic_max == 100); // default
    CHECK(setup.tmpl.vitals_alert.hr_max == 120);        // default
    Session s(setup);
    TabletRecorder rec;
    rec.take(s.start());
    rec.take(s.apply(cmd(CommandKind::Dose), mins(5)).effects);
    Command v = cmd(CommandKind::Vitals);
    v.vitals = {155, 90, 50, 93};
    const Outcome o = s.apply(v, mins(20));
    REQUIRE(o.accepted);
    rec.take(o.effects);
    v.vitals = {120, 80, 70, 98};
    rec.take(s.apply(v, mins(30)).effects);
    REQUIRE(s.vitals().size() == 2);
    CHECK(vitals_flags(s.vitals()[0], s.setup().tmpl.vitals_alert) ==
          std::vector<std::string>{"systolic_high", "hr_low", "spo2_low"});
    CHECK(vitals_flags(s.vitals()[1], s.setup().tmpl.vitals_alert).empty());
    // The journal (and so the event stream and report) carries the flags; the room never does.
    int alerts = 0;
    for (const auto& r : rec.journal.records)
        if (r.value("event", "") == "vitals_alert") {
            ++alerts;
            CHECK(r["flags"] == Json({"systolic_high", "hr_low", "spo2_low"}));
        }
    CHECK(alerts == 1);
    const Json summary = session_summary_json(s, mins(31));
    REQUIRE(summary["vitals"].size() == 2);
    CHECK(summary["vitals"][0]["since_dose"] == 15 * 60);
    CHECK(summary["vitals"][0]["flags"].size() == 3);
}

TEST_CASE("vitals: the template's alert block is checked like every key") {
    const std::vector<std::pair<Json, const char*>> rows = {
        {{{"alert", {{"systolic_max", 400}}}}, "vitals.alert.systolic_max"},
        {{{"alert", {{"sistolic_max", 150}}}}, "vitals.alert.sistolic_max"},
        {{{"alert", {{"hr_min", 100}, {"hr_max", 90}}}}, "vitals.alert.hr_min"},
        {{{"alarm", {}}}, "vitals.alarm"},
    };
    for (const auto& [vitals, path] : rows) {
        CAPTURE(path);
        Json tmpl = Json::parse(kNoBooster);
        tmpl["vitals"] = vitals;
        Problems p("sessions/x.json");
        CHECK_FALSE(load_template(tmpl, "x", p).has_value());
        CHECK(p.to_string().find(path) != std::string::npos);
    }
}

TEST_CASE("booster: offered only where the template has one") {
    Session none(setup_from(kNoBooster, three_hour_playlists()));
    none.start();
    none.apply(cmd(CommandKind::Dose), mins(5));
    CHECK_FALSE(none.booster_available());
    Command booster = cmd(CommandKind::Dose);
    booster.booster = true;
    CHECK(none.apply(booster, mins(6)).reason == "this session has no booster");

    Session with(setup_from(kThreeHourTemplate, three_hour_playlists()));
    with.start();
    CHECK_FALSE(with.booster_available()); // not before the dose
    with.apply(cmd(CommandKind::Dose), mins(5));
    CHECK(with.booster_available());
    REQUIRE(with.apply(booster, mins(6)).accepted);
    CHECK_FALSE(with.booster_available()); // given once
}

namespace {

double phase_start(const Json& timeline, const std::string& id) {
    for (const auto& p : timeline["phases"])
        if (p["id"] == id) return p["start"].get<double>();
    FAIL("no phase " << id);
    return -1;
}

Library no_lights() {
    return {};
}

} // namespace

TEST_CASE("timeline: extend, hold and booster move what follows") {
    SessionSetup setup = setup_from(kThreeHourTemplate, three_hour_playlists());
    Session s(setup);
    s.start();
    s.apply(cmd(CommandKind::Dose), mins(10)); // onset 10:00, peak 30:00, return 2:00:00
    const Json base = session_timeline_json(s, mins(15), no_lights());
    CHECK(phase_start(base, "onset") == 600);
    CHECK(phase_start(base, "peak") == 1800);
    CHECK(phase_start(base, "return") == 7200);
    CHECK(base["phases"][0]["state"] == "done");
    CHECK(base["phases"][1]["state"] == "current");
    CHECK(base["phases"][2]["state"] == "planned");
    CHECK(base["dose"]["at"] == 600);
    CHECK(base["end"] == 7200 + 3600 + 60);

    SUBCASE("extend") {
        Command e = cmd(CommandKind::Extend);
        e.amount = mins(5);
        s.apply(e, mins(15));
        const Json t = session_timeline_json(s, mins(15), no_lights());
        CHECK(phase_start(t, "peak") == 1800 + 300);
        CHECK(phase_start(t, "return") == 7200 + 300);
    }
    SUBCASE("hold") {
        s.apply(cmd(CommandKind::Hold), mins(15));
        const Json t = session_timeline_json(s, mins(25), no_lights()); // held for 10 minutes
        CHECK(phase_start(t, "peak") == 1800 + 600);
        CHECK(phase_start(t, "return") == 7200 + 600);
        REQUIRE(t["hold"].size() == 1);
        CHECK(t["hold"][0]["start"] == 900);
    }
    SUBCASE("booster") {
        s.advance_to(mins(40));
        Command b = cmd(CommandKind::Dose);
        b.booster = true;
        s.apply(b, mins(40));
        const Json t = session_timeline_json(s, mins(40), no_lights());
        CHECK(phase_start(t, "return") == 7200 + 1800);
        CHECK(t["booster"]["at"] == 2400);
        CHECK_FALSE(t["booster_available"].get<bool>());
    }
    SUBCASE("cues, reminders, the volume curve") {
        const Json& cues = base["cues"];
        REQUIRE(cues.size() == 7);
        CHECK(cues[0]["kind"] == "midi");
        CHECK(cues[0]["fired"] == true);
        CHECK(cues[2]["kind"] == "remind");
        CHECK(cues[2]["at"] == 600 + 900);
        CHECK(cues[2]["fired"] == false);
        CHECK(cues[2]["ack"] == false);
        CHECK(cues[5]["at"] == 7200 + 120); // phase:return+2m
        // The curve: -90 -> -20 at start, -18 at onset, -24 at return, -28 by the cue, then down.
        std::vector<double> levels;
        for (const auto& p : base["volume"])
            levels.push_back(p["db"].get<double>());
        CHECK(levels.front() == doctest::Approx(-90));
        CHECK(std::find(levels.begin(), levels.end(), -18.0) != levels.end());
        CHECK(std::find(levels.begin(), levels.end(), -28.0) != levels.end());
        CHECK(levels.back() == doctest::Approx(-90));
        // The live session was not moved by the planning.
        CHECK(s.now() == mins(10));
    }
}

TEST_CASE("summary: duration, phases, dose, vitals and overlay episodes after End") {
    Session s(setup_from(kThreeHourTemplate, three_hour_playlists()));
    s.start();
    s.apply(cmd(CommandKind::Dose), mins(10));
    s.apply(overlay(CommandKind::Comfort, true), mins(20));
    s.apply(overlay(CommandKind::Comfort, false), mins(24));
    s.apply(overlay(CommandKind::LightsUp, true), mins(50));
    s.apply(cmd(CommandKind::End), mins(55));
    s.advance_to(mins(60));
    REQUIRE(s.status() == SessionStatus::Finished);
    const Json j = session_summary_json(s, mins(60));
    CHECK(j["duration"] == 55 * 60 + 60);
    CHECK(j["ended_at"] == 55 * 60);
    CHECK(j["dose_at"] == 600);
    CHECK(j["booster_at"].is_null());
    REQUIRE(j["phases"].size() == 3); // settle, onset, peak; return never reached
    CHECK(j["phases"][2]["end"] == 55 * 60);
    CHECK(j["comfort"] == Json::parse(R"([{"start": 1200, "end": 1440}])"));
    CHECK(j["lights_up"] == Json::parse(R"([{"start": 3000, "end": 3300}])"));
    CHECK(j["report"] == "/api/v1/reports/s-test");
}
