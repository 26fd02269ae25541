// The session report: a scripted session (fixed clock) through every event type is written
// to a real journal, read back through the engine's journal reader and compared with a
// golden JSON record (tests/golden/report_session.json; a mismatch writes .actual beside it).
#include "fixtures.hpp"
#include "temp_dir.hpp"

#include "engine/journal.hpp"
#include "engine/report_forms.hpp"
#include "library/room_config.hpp"
#include "record/report.hpp"
#include "record/report_store.hpp"
#include "runtime/journal_writer.hpp"

#include <filesystem>
#include <fstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

const char* kRemsTemplate = R"({
  "name": "Esketamine 2h",
  "record": "spravato-rems",
  "observations": ["nausea", "anxiety", "dissociation", "sedation", "respiratory"],
  "phases": [
    {"id": "settle", "name": "Settle", "until": "dose", "duration": "10m", "playlist": "settle", "scene": "s1"},
    {"id": "onset", "name": "Onset", "duration": "20m", "playlist": "onset", "scene": "s2"},
    {"id": "peak", "name": "Peak", "duration": "40m", "playlist": "peak", "scene": "s3"},
    {"id": "plateau", "name": "Plateau", "duration": "20m", "playlist": "peak"},
    {"id": "return", "name": "Return", "until": "therapist", "duration": "30m", "playlist": "return", "scene": "s4"}
  ],
  "cues": [
    {"at": "dose+15m", "remind": "Check blood pressure", "vitals": true},
    {"at": "dose+40m", "remind": "BP at 40 minutes", "vitals": true},
    {"at": "dose+100m", "remind": "Discharge check"}
  ],
  "booster": {"extend": "peak", "by": "10m"},
  "comfort": {"playlist": "grounding", "scene": "comfort", "fade": "60s", "volume_offset_db": -6},
  "end": {"fade": "30s"}
})";

PlaylistCatalog rems_playlists() {
    PlaylistCatalog c;
    c["settle"] = playlist("settle", 10s, {4min, 4min});
    c["onset"] = playlist("onset", 12s, {15min, 15min});
    c["peak"] = playlist("peak", 20s, {20min, 25min});
    c["return"] = playlist("return", 15s, {30min, 30min}, false);
    c["grounding"] = playlist("grounding", 5s, {6min});
    return c;
}

struct ReportRecorder {
    std::unique_ptr<JournalWriter> writer;
    void write(const Effects& effects) {
        for (const auto& e : effects)
            if (auto* r = std::get_if<JournalRecord>(&e.body)) {
                std::string error;
                REQUIRE(writer->append(r->record, &error));
            }
    }
    void raw(const Json& record) {
        std::string error;
        REQUIRE(writer->append(record, &error));
    }
};

Command cmd(CommandKind kind) {
    Command c;
    c.kind = kind;
    return c;
}

// The scripted session: every kind of record the report reads. Returns the journal path.
fs::path script_session(const fs::path& dir) {
    SessionSetup setup = setup_from(kRemsTemplate, rems_playlists());
    setup.id = "s-0123456789ab";
    setup.label = "R1-AM";
    setup.wall_start_ms = 1'795'000'000'000; // 2026-11-18 11:06:40 UTC
    setup.utc_offset_min = 60;
    Session s(setup);
    ReportRecorder rec;
    std::string error;
    rec.writer = JournalWriter::open(journal_path(dir, setup.id), &error);
    REQUIRE(rec.writer);
    auto apply = [&](Command c, Ms t) {
        const Outcome o = s.apply(c, t);
        rec.write(o.effects);
        return o.accepted;
    };
    auto vitals = [&](Ms t, int sys, int dia, int hr, int spo2, int cue = -1) {
        Command c = cmd(CommandKind::Vitals);
        c.vitals = {sys, dia, hr, spo2};
        c.cue = cue;
        return apply(c, t);
    };
    auto observe = [&](Ms t, const std::string& code) {
        Command c = cmd(CommandKind::Observe);
        c.code = code;
        return apply(c, t);
    };
    rec.write(s.start());
    CHECK(vitals(5min, 128, 82, 72, 98)); // before the dose
    Command dose = cmd(CommandKind::Dose);
    CHECK(apply(dose, 8min)); // settle ends, onset starts
    rec.raw({{"type", "event"},
             {"t", 9 * 60000},
             {"event", "device"},
             {"device", "lights"},
             {"ok", false},
             {"detail", "broker unreachable"}});
    rec.raw({{"type", "event"},
             {"t", 9 * 60000 + 45000},
             {"event", "device"},
             {"device", "lights"},
             {"ok", true}});
    CHECK(observe(12min, "nausea"));
    CHECK_FALSE(observe(12min + 5s, "headache")); // not offered: refused, journaled as refused
    rec.write(s.advance_to(23min));               // reminder at dose+15m = 23:00
    CHECK(vitals(25min, 172, 104, 88, 96, 0));    // flagged, answers reminder 0
    Command hold = cmd(CommandKind::Hold);
    CHECK(apply(hold, 26min));
    CHECK(apply(cmd(CommandKind::Resume), 28min));
    Command extend = cmd(CommandKind::Extend);
    extend.amount = 5min;
    CHECK(apply(extend, 29min));
    Command comfort = cmd(CommandKind::Comfort);
    CHECK(apply(comfort, 30min));
    comfort.on = false;
    CHECK(apply(comfort, 34min));
    Command volume = cmd(CommandKind::Volume);
    volume.db = -24;
    CHECK(apply(volume, 35min));
    CHECK(apply(cmd(CommandKind::Skip), 36min));
    Command booster = cmd(CommandKind::Dose);
    booster.booster = true;
    rec.write(s.advance_to(45min)); // onset (20m + 5m held/extended) ends
    CHECK(apply(booster, 46min));
    rec.write(s.advance_to(49min)); // reminder at dose+40m = 48:00, not answered
    CHECK(observe(50min, "dissociation"));
    Command lights = cmd(CommandKind::LightsUp);
    CHECK(apply(lights, 52min));
    lights.on = false;
    CHECK(apply(lights, 53min));
    Command next = cmd(CommandKind::Next);
    next.phase = "return"; // plateau is skipped
    CHECK(apply(next, 60min));
    Command failed = cmd(CommandKind::TrackFailed);
    failed.file = "audio/return-1.flac";
    CHECK(apply(failed, 61min));
    rec.write(s.advance_to(108min)); // reminder at dose+100m
    Command ack = cmd(CommandKind::Ack);
    ack.cue = 2;
    CHECK(apply(ack, 110min));
    CHECK(vitals(115min, 130, 85, 70, 97)); // before discharge
    CHECK(apply(cmd(CommandKind::End), 124min));
    rec.write(s.advance_to(125min)); // the 30 s fade completes
    CHECK(s.status() == SessionStatus::Finished);
    return journal_path(dir, setup.id);
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

} // namespace

TEST_CASE("the report of a scripted session matches its golden record") {
    TempDir dir;
    const fs::path journal = script_session(dir.path);
    const Json report = build_report(read_journal(journal));
    const fs::path golden = fs::path(STILLROOM_SOURCE_DIR) / "tests/golden/report_session.json";
    const std::string actual = report.dump(2) + "\n";
    const std::string expected = read_file(golden);
    if (actual != expected) {
        std::ofstream(golden.string() + ".actual", std::ios::binary) << actual;
        FAIL("the report differs from " << golden.string() << "; see " << golden.string()
                                        << ".actual");
    }
    // A few facts spelled out, so the golden file cannot silently drift to nonsense.
    CHECK(report["session"]["date"] == "2026-11-18");
    CHECK(report["session"]["clock"] == "12:06");   // UTC+1
    CHECK(report["monitoring_s"] == 7470 - 8 * 60); // dose at 8:00, End at 124:00 + a 30 s fade
    CHECK(report["phases"][3]["status"] == "skipped");
    CHECK(report["vitals"][1]["flags"] == Json::array({"systolic_high", "diastolic_high"}));
    CHECK(report["reminders"][1]["late_s"].is_null());
    CHECK(report["faults"][0]["duration_s"] == 45);
    CHECK(report["form"]["missing"] ==
          Json::array({"BP at ~40 min: missing", "monitoring 116 min < 120"}));
    CHECK(report["flags"] ==
          Json::array({"form_incomplete", "vitals_flagged", "reminder_missed", "device_fault"}));
}

TEST_CASE("the CSV has one row per event and the HTML shows the record") {
    TempDir dir;
    const Json report = build_report(read_journal(script_session(dir.path)));
    const std::string csv = report_csv(report);
    std::size_t lines = 0;
    for (std::size_t pos = 0; (pos = csv.find("\r\n", pos)) != std::string::npos; pos += 2)
        ++lines;
    CHECK(lines == report["events"].size() + 1);
    CHECK(csv.rfind("t_s,since_dose_s,clock,phase,kind,what,value,flags,by\r\n", 0) == 0);
    CHECK(csv.find("\r\n480,0,,settle,dose,,,,\r\n") != std::string::npos);
    CHECK(csv.find(",observation,dissociation,") != std::string::npos);
    CHECK(csv.find("systolic_high diastolic_high") != std::string::npos);

    const std::string html = report_html(report);
    CHECK(html.find("<svg class=\"timeline\"") != std::string::npos);
    CHECK(html.find("<svg class=\"vitals\"") != std::string::npos);
    CHECK(html.find("BP at ~40 min: missing") != std::string::npos);
    CHECK(html.find("monitoring 116 min &lt; 120") != std::string::npos);
    CHECK(html.find("R1-AM") != std::string::npos);
    CHECK(html.find("http") == html.find("http://www.w3.org/2000/svg")); // no external resources
    CHECK(html.find("<script") == std::string::npos);
    // Codes read as words in the HTML (the CSV above keeps them): issue 19 item 14.
    CHECK(html.find("systolic_high") == std::string::npos);
    CHECK(html.find("systolic high") != std::string::npos);
    CHECK(html.find(">lights_up") == std::string::npos);
    // A phase's status too ("not_reached", the walk's report screenshot).
    Json cut = report;
    cut["phases"].back()["status"] = "not_reached";
    const std::string cut_html = report_html(cut);
    CHECK(cut_html.find("not_reached") == std::string::npos);
    CHECK(cut_html.find("<td>not reached</td>") != std::string::npos);
    // No vitals: said once, not twice.
    Json quiet = report;
    quiet["vitals"] = Json::array();
    const std::string none = report_html(quiet);
    CHECK(none.find("No vitals were recorded.") != std::string::npos);
    CHECK(none.find("No vitals.") == std::string::npos);
}

TEST_CASE("a torn journal is reported up to the tear") {
    TempDir dir;
    const fs::path journal = script_session(dir.path);
    const std::string text = read_file(journal);
    // Cut the journal in the middle of the record after the first observation.
    const auto obs = text.find("\"observe\"");
    REQUIRE(obs != std::string::npos);
    const auto line_end = text.find('\n', obs);
    std::ofstream(journal, std::ios::binary | std::ios::trunc) << text.substr(0, line_end + 1 + 30);
    const Json report = build_report(read_journal(journal));
    CHECK(report["session"]["journal"]["torn_tail"] == true);
    CHECK(report["session"]["status"] == "unfinished");
    CHECK(report["session"]["duration_s"] == 12 * 60);
    REQUIRE(report["observations"].size() == 1);
    CHECK(report["observations"][0]["code"] == "nausea");
    CHECK(report["phases"][1]["status"] == "running");
    CHECK(report["flags"].dump().find("journal_damaged") != std::string::npos);
    CHECK(report["flags"].dump().find("unfinished") != std::string::npos);
}

TEST_CASE("a journal without a start record gives an error, not a crash") {
    JournalContents empty;
    CHECK(build_report(empty).contains("error"));
    JournalContents no_start;
    no_start.records.push_back({{"type", "cmd"}, {"t", 0}});
    CHECK(build_report(no_start).contains("error"));
    CHECK(report_html(build_report(no_start)).find("no start record") != std::string::npos);
}

TEST_CASE("the spravato-rems form checks each field") {
    const FormSpec* form = find_form("spravato-rems");
    REQUIRE(form);
    auto reading = [](int t_min, int dose_min) {
        return Json{{"t_s", t_min * 60},
                    {"since_dose_s", (t_min - dose_min) * 60},
                    {"systolic", 130},
                    {"diastolic", 80}};
    };
    struct Case {
        const char* name;
        int end_min;
        std::vector<int> readings; // minutes since start; the dose is at 10
        std::vector<std::string> missing;
    };
    const Case cases[] = {
        {"complete", 130, {5, 50, 125}, {}},
        {"40 min window edges", 130, {5, 40, 61, 125}, {}}, // 30 and 51 min after the dose
        {"no pre-dose BP", 130, {50, 125}, {"BP before dose: missing"}},
        {"too early for ~40 min", 130, {5, 39, 125}, {"BP at ~40 min: missing"}},
        {"last reading long before the end", 130, {5, 50, 90}, {"BP before discharge: missing"}},
        {"short monitoring", 128, {5, 50, 125}, {"monitoring 118 min < 120"}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        Json report = {
            {"dose", {{"dose_s", 600}}},
            {"monitoring_s", (c.end_min - 10) * 60},
            {"session", {{"duration_s", c.end_min * 60}}},
            {"vitals", Json::array()},
            {"observations",
             Json::array({{{"code", "sedation"}, {"t_s", 900}, {"since_dose_s", 300}}})}};
        for (int t : c.readings)
            report["vitals"].push_back(reading(t, 10));
        const Json filled = form->fill(*form, report);
        CHECK(filled["missing"] == Json(c.missing));
        CHECK(filled["complete"] == c.missing.empty());
        CHECK(filled["fields"][5]["value"] == "yes: dose+5:00");
    }
}

TEST_CASE("templates name a known form and offer the observations it asks about") {
    auto load = [](const std::string& extra) {
        Problems p("sessions/t.json");
        Json j = Json::parse(
            R"({"name": "t", "phases": [{"id": "a", "duration": "1m", "playlist": "p", "scene": "s"}]})");
        const Json more = Json::parse(extra);
        for (auto& [k, v] : more.items())
            j[k] = v;
        auto t = load_template(j, "t", p);
        return std::make_pair(t, p.to_string());
    };
    auto [plain, plain_problems] = load("{}");
    REQUIRE(plain);
    CHECK(plain->observations.size() >= 5);
    CHECK_FALSE(plain->record);
    auto [bad_form, why_form] = load(R"({"record": "rems"})");
    CHECK_FALSE(bad_form);
    CHECK(why_form.find("record: expected one of the record forms (spravato-rems)") !=
          std::string::npos);
    auto [lacking, why_lacking] =
        load(R"({"record": "spravato-rems", "observations": ["nausea"]})");
    CHECK_FALSE(lacking);
    CHECK(why_lacking.find("asks about \"sedation\"") != std::string::npos);
    auto [free_text, why_free] = load(R"({"observations": ["felt a bit sick"]})");
    CHECK_FALSE(free_text);
    CHECK(why_free.find("observations[0]") != std::string::npos);
}

TEST_CASE("retention deletes journals older than retention_days, never the running session") {
    TempDir dir;
    const fs::path sessions = dir.path / "sessions";
    fs::create_directories(sessions);
    const auto now = std::chrono::system_clock::now();
    auto make = [&](const std::string& id, int days_old) {
        const fs::path p = sessions / (id + ".jsonl");
        std::ofstream(p) << "{\"type\":\"start\",\"t\":0}\n";
        std::ofstream(sessions / (id + ".anchor")) << "{}\n";
        fs::last_write_time(p,
                            fs::file_time_type::clock::now() - std::chrono::hours{24} * days_old);
    };
    make("s-old", 40);
    make("s-running", 40);
    make("s-recent", 29);
    CHECK(delete_expired_journals(dir.path, now, 30, "s-running") == 1);
    CHECK_FALSE(fs::exists(sessions / "s-old.jsonl"));
    CHECK_FALSE(fs::exists(sessions / "s-old.anchor"));
    CHECK(fs::exists(sessions / "s-running.jsonl"));
    CHECK(fs::exists(sessions / "s-recent.jsonl"));
    CHECK(delete_expired_journals(dir.path / "missing", now, 30) == 0);
}

TEST_CASE("room.json state.retention_days is validated") {
    struct Case {
        const char* json;
        const char* problem; // empty: valid
        int days;
    };
    const Case cases[] = {
        {R"({"room": "r"})", "", 90},
        {R"({"room": "r", "state": {"retention_days": 30}})", "", 30},
        {R"({"room": "r", "state": {"retention_days": 0}})", "state.retention_days", 0},
        {R"({"room": "r", "state": {"retention_days": "30d"}})", "state.retention_days", 0},
        {R"({"room": "r", "state": {"keep": 3}})", "state.keep", 0},
    };
    for (const auto& c : cases) {
        CAPTURE(c.json);
        Problems p("room.json");
        auto room = load_room_config(Json::parse(c.json), p);
        if (*c.problem) {
            CHECK(p.to_string().find(c.problem) != std::string::npos);
        } else {
            REQUIRE(room);
            CHECK(room->retention_days == c.days);
        }
    }
}

TEST_CASE("session ids for reports are validated before touching the disk") {
    CHECK(is_valid_session_id("s-0123456789ab"));
    for (const char* bad : {"", "..", "../x", "a/b", "s.jsonl", "a b", "s-\n"}) {
        CAPTURE(bad);
        CHECK_FALSE(is_valid_session_id(bad));
    }
    CHECK_FALSE(is_valid_session_id(std::string(65, 'a')));
}
