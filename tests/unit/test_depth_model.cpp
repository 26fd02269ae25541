// Depth over the session (docs/engine.md, "Depth"): the template's arc (phase "depth", depth
// cues) + the therapist's trim = the effective depth, clamped to 0..1; Comfort holds it at 0
// and gives it back; the trim persists across phases and comes back from the journal. Every
// expected number is worked out by hand from the template below.
#include "engine/plan.hpp"
#include "engine/restore.hpp"
#include "fixtures.hpp"
#include "record/report.hpp"
#include "test_support.hpp"

using namespace stillroom;
using namespace stillroom::test;

namespace {

// settle (depth 0.2) until dose; onset 20m (depth 0.5); peak 30m (keeps 0.5, a cue takes it
// to 0.9 at phase:peak+5m over 2m); return (depth 0.1) until the therapist.
const char* kDepthTemplate = R"({
  "name": "Depth",
  "phases": [
    {"id": "settle", "until": "dose", "duration": "10m", "playlist": "settle", "fade": "10s", "depth": 0.2},
    {"id": "onset", "duration": "20m", "playlist": "onset", "fade": "30s", "depth": 0.5},
    {"id": "peak", "duration": "30m", "playlist": "peak", "fade": "1m"},
    {"id": "return", "until": "therapist", "duration": "30m", "playlist": "return", "fade": "1m", "depth": 0.1}
  ],
  "cues": [{"at": "phase:peak+5m", "depth": 0.9, "ramp": "2m"}],
  "comfort": {"playlist": "grounding", "fade": "20s"}
})";

PlaylistCatalog depth_playlists() {
    PlaylistCatalog c;
    c["settle"] = playlist("settle", 10s, {15min});
    c["onset"] = playlist("onset", 10s, {25min});
    c["peak"] = playlist("peak", 10s, {40min});
    c["return"] = playlist("return", 10s, {40min});
    c["grounding"] = playlist("grounding", 10s, {20min});
    return c;
}

Command depth_cmd(VolumeHow how, double value) {
    Command c = cmd(CommandKind::Depth);
    c.volume_how = how;
    c.depth = value;
    return c;
}

std::vector<Json> journal_of(const Effects& effects) {
    std::vector<Json> out;
    for (const auto& e : effects)
        if (const auto* r = std::get_if<JournalRecord>(&e.body)) out.push_back(r->record);
    return out;
}

std::optional<SetDepth> last_depth(const Effects& effects) {
    std::optional<SetDepth> d;
    for (const auto& e : effects)
        if (const auto* s = std::get_if<SetDepth>(&e.body)) d = *s;
    return d;
}

} // namespace

TEST_CASE("depth: the template's phase and cue depth are checked, naming the field") {
    struct Row {
        const char* name;
        const char* phase_extra; // appended to the first phase
        const char* cue;         // the only cue ("" for none)
        const char* path;        // the problem's path ("" = no error)
        const char* fragment;
    };
    const Row rows[] = {
        {"phase depth 0.3", R"(, "depth": 0.3)", "", "", ""},
        {"phase depth 0 and 1 are the edges", R"(, "depth": 1)", "", "", ""},
        {"phase depth above 1", R"(, "depth": 1.5)", "", "phases[0].depth", "1.5"},
        {"phase depth below 0", R"(, "depth": -0.1)", "", "phases[0].depth", "-0.1"},
        {"phase depth as text", R"(, "depth": "deep")", "", "phases[0].depth", "deep"},
        {"cue depth with ramp", "", R"({"at": "start+1m", "depth": 0.8, "ramp": "2m"})", "", ""},
        {"cue depth alone", "", R"({"at": "start+1m", "depth": 0})", "", ""},
        {"cue depth above 1", "", R"({"at": "start+1m", "depth": 2})", "cues[0].depth", "2"},
        {"cue ramp without depth or volume", "",
         R"({"at": "start+1m", "ramp": "2m", "remind": "x"})", "cues[0].ramp", "\"depth\""},
    };
    for (const auto& row : rows) {
        const std::string name = row.name;
        CAPTURE(name);
        const std::string text =
            std::string(R"({"name": "T", "phases": [{"id": "a", "duration": "10m")") +
            row.phase_extra + "}], \"cues\": [" + row.cue + "]}";
        Problems problems("sessions/t.json");
        const auto tmpl = load_template(Json::parse(text), "t", problems);
        const std::string report = problems.to_string();
        CAPTURE(report);
        if (std::string(row.path).empty()) {
            CHECK(tmpl.has_value());
            CHECK(problems.error_count() == 0);
        } else {
            CHECK_FALSE(tmpl.has_value());
            CHECK(has_problem(problems, row.path, row.fragment));
            CHECK(report.find("sessions/t.json") != std::string::npos);
        }
    }
}

TEST_CASE("depth: the command's three forms, parsed and journaled as the trim they set") {
    struct Row {
        const char* args;
        VolumeHow how;
        double value;
    };
    const Row ok[] = {{R"({"step": 0.1})", VolumeHow::Step, 0.1},
                      {R"({"step": -1})", VolumeHow::Step, -1},
                      {R"({"trim": 0.2})", VolumeHow::Trim, 0.2},
                      {R"({"level": 0.6})", VolumeHow::Level, 0.6},
                      {R"({"level": 0})", VolumeHow::Level, 0}};
    for (const auto& row : ok) {
        const std::string args = row.args;
        CAPTURE(args);
        Problems p("test");
        const auto c = parse_command(CommandKind::Depth, Json::parse(args), p);
        REQUIRE(c.has_value());
        CHECK(c->volume_how == row.how);
        CHECK(c->depth == doctest::Approx(row.value));
        // The journal's form reads back as the same command.
        Problems again("test");
        CHECK(parse_command(CommandKind::Depth, command_args_json(*c), again) == c);
    }
    const std::pair<const char*, const char*> bad[] = {
        {R"({})", "expected one of step"},
        {R"({"step": 0.1, "trim": 0.2})", "expected one of step"},
        {R"({"level": 1.2})", "level"},
        {R"({"step": 1.5})", "step"},
        {R"({"trim": -2})", "trim"},
        {R"({"level": "deep"})", "level"},
        {R"({"step": 0.1, "db": 3})", "db"},
    };
    for (const auto& [args, fragment] : bad) {
        CAPTURE(args);
        Problems p("test");
        CHECK_FALSE(parse_command(CommandKind::Depth, Json::parse(args), p).has_value());
        CHECK(p.to_string().find(fragment) != std::string::npos);
    }
    REQUIRE(command_kind_from_name("depth") == CommandKind::Depth);
}

TEST_CASE("depth: arc plus trim over the session, the trim kept across phases") {
    Session s(setup_from(kDepthTemplate, depth_playlists()));
    s.start();
    // settle: arc 0.2, ramped from 0 over the phase fade (10 s).
    auto d = s.desired_state(mins(1));
    CHECK(d.depth_arc == doctest::Approx(0.2));
    CHECK(d.depth_target == doctest::Approx(0.2));
    CHECK(d.depth == doctest::Approx(0.2));

    struct Step {
        const char* name;
        Command command;
        double trim, target;
        const char* note;
    };
    // Each row applies in settle (arc 0.2), one after another.
    const Step steps[] = {
        {"trim 0.2", depth_cmd(VolumeHow::Trim, 0.2), 0.2, 0.4, ""},
        {"step +0.1", depth_cmd(VolumeHow::Step, 0.1), 0.3, 0.5, ""},
        {"level 0.6 (trim = 0.6 - 0.2)", depth_cmd(VolumeHow::Level, 0.6), 0.4, 0.6, ""},
        {"step +1 clamps the effective at 1", depth_cmd(VolumeHow::Step, 1), 1.0, 1.0, ""},
        // From what is heard (1.0, not 0.2 + 1.0): one step down is audible at once.
        {"step -0.1 from the edge", depth_cmd(VolumeHow::Step, -0.1), 0.7, 0.9, ""},
        {"trim -1 clamps the effective at 0", depth_cmd(VolumeHow::Trim, -1), -1.0, 0.0, ""},
        {"step +0.1 from 0", depth_cmd(VolumeHow::Step, 0.1), -0.1, 0.1, ""},
        {"trim 0.1", depth_cmd(VolumeHow::Trim, 0.1), 0.1, 0.3, ""},
    };
    Ms t = mins(2);
    for (const auto& step : steps) {
        const std::string name = step.name;
        CAPTURE(name);
        const Outcome o = s.apply(step.command, t);
        REQUIRE(o.accepted);
        CHECK(o.reason == step.note);
        d = s.desired_state(t);
        CHECK(d.depth_trim == doctest::Approx(step.trim));
        CHECK(d.depth_target == doctest::Approx(step.target));
        const auto set = last_depth(o.effects);
        if (set) CHECK(set->depth == doctest::Approx(step.target));
        // Ramped, never stepped: 3 s for the therapist.
        if (set) CHECK(set->ramp == Ms{3000});
        // The journal says the trim it set.
        bool journaled = false;
        for (const auto& r : journal_of(o.effects))
            if (r.value("cmd", "") == "depth") {
                journaled = true;
                CHECK(r["args"]["trim"].get<double>() == doctest::Approx(step.trim));
            }
        CHECK(journaled);
        t += Ms{10'000};
    }
    // Dose at 5m: onset, arc 0.5 + trim 0.1 = 0.6, over the phase fade (30 s).
    const Outcome dose = s.apply(cmd(CommandKind::Dose), mins(5));
    const auto set = last_depth(dose.effects);
    REQUIRE(set);
    CHECK(set->depth == doctest::Approx(0.6));
    CHECK(set->ramp == Ms{30'000});
    // Half-way through the ramp (S-curve): exactly between 0.3 and 0.6.
    CHECK(s.desired_state(mins(5) + Ms{15'000}).depth == doctest::Approx(0.45));
    // Peak (5m + 20m) keeps the arc; the cue at peak+5m takes it to 0.9 + 0.1 = 1.0.
    s.advance_to(mins(26));
    d = s.desired_state(mins(26));
    REQUIRE(d.phase_id == "peak");
    CHECK(d.depth_target == doctest::Approx(0.6));
    s.advance_to(mins(33));
    d = s.desired_state(mins(33));
    CHECK(d.depth_arc == doctest::Approx(0.9));
    CHECK(d.depth_target == doctest::Approx(1.0));
    // Return (5m + 20m + 30m = 55m): arc 0.1, trim still 0.1.
    s.advance_to(mins(56));
    d = s.desired_state(mins(56));
    REQUIRE(d.phase_id == "return");
    CHECK(d.depth_trim == doctest::Approx(0.1));
    CHECK(d.depth_target == doctest::Approx(0.2));
    // The history holds every change, for the timeline's depth curve.
    CHECK(s.history().depth.size() >= 10);
}

TEST_CASE("depth: Comfort grounds the room at depth 0 and gives the depth back after") {
    Session s(setup_from(kDepthTemplate, depth_playlists()));
    s.start();
    REQUIRE(s.apply(depth_cmd(VolumeHow::Trim, 0.3), mins(1)).accepted); // 0.2 + 0.3 = 0.5
    Command comfort = cmd(CommandKind::Comfort);
    const Outcome on = s.apply(comfort, mins(2));
    REQUIRE(on.accepted);
    auto set = last_depth(on.effects);
    REQUIRE(set);
    CHECK(set->depth == doctest::Approx(0));
    CHECK(set->ramp == Ms{20'000}); // the comfort fade
    CHECK(s.desired_state(mins(3)).depth == doctest::Approx(0));
    // A depth change under Comfort is kept for after, and said so.
    const Outcome under = s.apply(depth_cmd(VolumeHow::Step, 0.1), mins(3));
    REQUIRE(under.accepted);
    CHECK(under.reason == "comfort holds the depth at 0 until it ends");
    CHECK(s.desired_state(mins(3)).depth_target == doctest::Approx(0));
    comfort.on = false;
    const Outcome off = s.apply(comfort, mins(4));
    set = last_depth(off.effects);
    REQUIRE(set);
    CHECK(set->depth == doctest::Approx(0.6)); // 0.2 + 0.3 + 0.1
    CHECK(s.desired_state(mins(5)).depth == doctest::Approx(0.6));
}

TEST_CASE("depth: a resume from the journal gives back the trim and the depth") {
    const SessionSetup setup = setup_from(kDepthTemplate, depth_playlists());
    Session s(setup);
    JournalContents journal;
    auto keep = [&](const Effects& effects) {
        for (auto& r : journal_of(effects))
            journal.records.push_back(r);
    };
    keep(s.start());
    keep(s.apply(depth_cmd(VolumeHow::Level, 0.7), mins(2)).effects); // trim 0.5
    keep(s.apply(cmd(CommandKind::Dose), mins(4)).effects);
    keep(s.apply(depth_cmd(VolumeHow::Step, -0.2), mins(10)).effects); // 1.0 -> 0.8: trim 0.3
    s.advance_to(mins(12));
    Problems problems("journal");
    auto restored = restore_session(journal, problems);
    REQUIRE(restored);
    restored->session->advance_to(mins(12));
    const DesiredState a = s.desired_state(mins(12));
    const DesiredState b = restored->session->desired_state(mins(12));
    CHECK(a.depth_trim == doctest::Approx(0.3));
    CHECK(b.depth_trim == doctest::Approx(a.depth_trim));
    CHECK(b.depth_target == doctest::Approx(0.8));
    CHECK(b.depth == doctest::Approx(a.depth));
    CHECK(restored->session->history().depth == s.history().depth);
}

TEST_CASE("depth: the plan carries the depth changes") {
    const Plan plan = build_plan(setup_from(kDepthTemplate, depth_playlists()));
    std::vector<std::pair<double, double>> depth; // (at s, depth)
    for (const auto& line : plan.lines)
        if (line.kind == "depth") {
            const Json j = plan_line_json(line);
            depth.emplace_back(j["at"].get<double>(), j["depth"].get<double>());
        }
    // settle at 0 s; onset at the dose (assumed at settle's planned 10m); peak+5m = 35m;
    // return at 60m.
    const std::vector<std::pair<double, double>> want = {
        {0, 0.2}, {600, 0.5}, {2100, 0.9}, {3600, 0.1}};
    REQUIRE(depth.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        CAPTURE(i);
        CHECK(depth[i].first == doctest::Approx(want[i].first));
        CHECK(depth[i].second == doctest::Approx(want[i].second));
    }
}

TEST_CASE("depth: the report lists the therapist's depth changes; sessions without none") {
    const SessionSetup setup = setup_from(kDepthTemplate, depth_playlists());
    Session s(setup);
    JournalContents journal;
    auto keep = [&](const Effects& effects) {
        for (auto& r : journal_of(effects))
            journal.records.push_back(r);
    };
    keep(s.start());
    JournalContents without = journal;
    keep(s.apply(depth_cmd(VolumeHow::Step, 0.1), mins(2)).effects);  // trim 0.1
    keep(s.apply(depth_cmd(VolumeHow::Level, 0.0), mins(3)).effects); // trim -0.2
    const Json report = build_report(journal);
    REQUIRE(report.contains("depth"));
    REQUIRE(report["depth"].size() == 2);
    CHECK(report["depth"][0]["t_s"].get<double>() == doctest::Approx(120));
    CHECK(report["depth"][0]["trim"].get<double>() == doctest::Approx(0.1));
    CHECK(report["depth"][1]["trim"].get<double>() == doctest::Approx(-0.2));
    const std::string html = report_html(report);
    CHECK(html.find("trim -0.2") != std::string::npos);
    CHECK_FALSE(build_report(without).contains("depth"));
}
