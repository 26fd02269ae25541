// Structured dose fields (docs/report.md "Structured dose"): the template declares them
// ("dose": {"fields": {"amount_mg": {"min", "max"}, "route": [...]}, "medication": {...}}),
// `check` names every problem, the dose mark carries them (a 400 naming the field when they
// break the declaration), a wrong-value correction can correct them, and the record (JSON,
// CSV, HTML, FHIR: dosage.dose in mg, the route as its SNOMED CT code, the medication's
// RxNorm code) carries them. SNOMED CT route codes from FHIR R4's route-codes value set.
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

Json template_with(const Json& dose) {
    Json t = {{"name", "IM ketamine"},
              {"phases",
               Json::array({{{"id", "settle"}, {"until", "dose"}, {"duration", "5m"}},
                            {{"id", "journey"}, {"until", "therapist"}, {"duration", "40m"}}})}};
    t["dose"] = dose;
    return t;
}

const char* kTemplate = R"({
  "name": "IM ketamine",
  "dose": {
    "medication": {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "6130",
                   "display": "ketamine"},
    "fields": {"amount_mg": {"min": 0, "max": 200}, "route": ["IM", "IV", "SL", "IN"]}
  },
  "booster": {"extend": "journey", "by": "10m"},
  "phases": [
    {"id": "settle", "name": "Settle", "until": "dose", "duration": "5m"},
    {"id": "journey", "name": "Journey", "until": "therapist", "duration": "40m"}
  ]
})";

Command dose(std::optional<double> mg, std::string route, bool booster = false) {
    Command c;
    c.kind = CommandKind::Dose;
    c.amount_mg = mg;
    c.route = std::move(route);
    c.booster = booster;
    return c;
}

} // namespace

TEST_CASE("a template's dose declaration: every problem names its path") {
    struct Case {
        const char* dose;
        const char* path; // "" = no problem
        const char* says;
    };
    const Case cases[] = {
        {R"({"fields": {"amount_mg": {"min": 0, "max": 200}, "route": ["IM", "IV", "SL", "IN"]}})",
         "", ""},
        {R"({"fields": {"amount_mg": {"min": 50, "max": 20}}})", "dose.fields.amount_mg.min",
         "must be below max"},
        {R"({"fields": {"amount_mg": {"min": -1, "max": 20}}})", "dose.fields.amount_mg.min", ""},
        {R"({"fields": {"amount_mg": {"max": 20}}})", "dose.fields.amount_mg.min", ""},
        {R"({"fields": {"route": ["IM", "rectal"]}})", "dose.fields.route[1]",
         "expected one of IM, IV, SL, IN, PO, SC"},
        {R"({"fields": {"route": ["IM", "IM"]}})", "dose.fields.route[1]", "listed twice"},
        {R"({"fields": {"route": []}})", "dose.fields.route", "at least one"},
        {R"({"fields": {"notes": "free text"}})", "dose.fields.notes", ""},
        {R"({"medication": {"system": "rxnorm", "code": "6130"}})", "dose.medication.system",
         "URI"},
        {R"({"medication": {"system": "http://snomed.info/sct", "code": "a b"}})",
         "dose.medication.code", "letters, digits"},
        {R"({"medication": {"code": "6130"}})", "dose.medication.system", ""},
    };
    for (const auto& c : cases) {
        CAPTURE(c.dose);
        Problems problems("sessions/im.json");
        const auto t = load_template(template_with(Json::parse(c.dose)), "im", problems);
        const std::string text = problems.to_string();
        CAPTURE(text);
        if (std::string(c.path).empty()) {
            CHECK_FALSE(problems.has_errors());
            REQUIRE(t);
            continue;
        }
        CHECK_FALSE(t);
        CHECK(text.find(std::string("sessions/im.json: ") + c.path) != std::string::npos);
        CHECK(text.find(c.says) != std::string::npos);
    }
}

TEST_CASE("a dose mark's fields: parsed without free text, checked against the template") {
    SUBCASE("parse") {
        struct Case {
            const char* args;
            const char* problem; // "" = parses
        };
        const Case cases[] = {
            {R"({"amount_mg": 75, "route": "IM"})", ""},
            {R"({"booster": true, "amount_mg": 37.5})", ""},
            {R"({"route": "into the left arm"})", "route"},
            {R"({"route": "im"})", "route"},
            {R"({"amount_mg": "75"})", "amount_mg"},
            {R"({"amount_mg": 20000})", "amount_mg"},
        };
        for (const auto& c : cases) {
            CAPTURE(c.args);
            Problems p;
            const auto cmd = parse_command(CommandKind::Dose, Json::parse(c.args), p);
            CHECK(bool(cmd) == std::string(c.problem).empty());
            if (!cmd) CHECK(p.to_string().find(c.problem) != std::string::npos);
            if (cmd) CHECK(parse_command(CommandKind::Dose, command_args_json(*cmd), p) == cmd);
        }
    }
    SUBCASE("check") {
        DoseFields f;
        f.amount_mg = true;
        f.amount_min_mg = 0;
        f.amount_max_mg = 200;
        f.routes = {"IM", "IN"};
        struct Case {
            std::optional<double> mg;
            const char* route;
            const char* says; // "" = may be recorded; else how the problem starts
        };
        const Case cases[] = {
            {75, "IM", ""},
            {0, "", ""},
            {200, "IN", ""},
            {std::nullopt, "", ""},
            {200.5, "", "amount_mg: expected 0 to 200 mg, got 200.5"},
            {-1, "", "amount_mg"},
            {75, "IV", "route: expected one of IM, IN, got \"IV\""},
        };
        for (const auto& c : cases) {
            CAPTURE(c.route);
            const std::string why = check_dose_values(f, c.mg, c.route);
            CAPTURE(why);
            if (std::string(c.says).empty())
                CHECK(why.empty());
            else
                CHECK(why.rfind(c.says, 0) == 0); // the problem starts with the field it names
        }
        CHECK(check_dose_values(DoseFields{}, 75, "").rfind("amount_mg: ", 0) == 0);
        CHECK(check_dose_values(DoseFields{}, std::nullopt, "IM").rfind("route: ", 0) == 0);
    }
}

TEST_CASE("the dose's fields through the room: refused naming the field, journaled, in the "
          "state, corrected, and in the record as JSON, CSV, HTML and FHIR") {
    TempDir dir;
    fs::create_directories(dir.path / "lib/sessions");
    std::ofstream(dir.path / "lib/room.json") << R"({"room":"r","timezone":"UTC"})";
    std::ofstream(dir.path / "lib/sessions/im.json") << kTemplate;
    Problems problems;
    const Library lib = load_library(dir.path / "lib", problems);
    REQUIRE_MESSAGE(!problems.has_errors(), problems.to_string());
    ManualClock clock;
    Room room(lib, dir.path / "state", clock);
    REQUIRE(room.start_by({"im", "R1-AM"}, "therapist").ok);
    const std::string id = room.state()["session"]["id"].get<std::string>();
    clock.advance_by(2min);

    const CommandResult too_much = room.command_by(dose(250, "IM"), "therapist");
    CHECK_FALSE(too_much.ok);
    CHECK(too_much.status == 400);
    CHECK(too_much.message == "amount_mg: expected 0 to 200 mg, got 250");
    const CommandResult wrong_route = room.command_by(dose(75, "PO"), "therapist");
    CHECK(wrong_route.status == 400);
    CHECK(wrong_route.message.rfind("route: ", 0) == 0);
    CHECK(room.state()["session"]["since_dose"].is_null()); // neither marked the dose

    const CommandResult marked = room.command_by(dose(75, "IM"), "therapist");
    REQUIRE(marked.ok);
    const Json entries = marked.body["session"]["entries"];
    REQUIRE(entries.size() == 1);
    CHECK(entries[0]["seq"] == marked.seq);
    CHECK(entries[0]["value"] == Json{{"amount_mg", 75}, {"route", "IM"}});
    clock.advance_by(20min);
    const CommandResult booster = room.command_by(dose(37.5, "IM", true), "therapist");
    REQUIRE(booster.ok);

    // Corrections: the amount was really 56 mg given intranasally; a bad value is a 400.
    const Correction bad{marked.seq, "wrong-value", {{"amount_mg", 500}}};
    const CommandResult refused = room.correct(bad, "therapist", false);
    CHECK(refused.status == 400);
    CHECK(refused.message.find("value.amount_mg") != std::string::npos);
    const Correction fix{marked.seq, "wrong-value", {{"amount_mg", 56}, {"route", "IN"}}};
    const CommandResult fixed = room.correct(fix, "therapist", false);
    REQUIRE(fixed.ok);
    CHECK(fixed.body["session"]["entries"][0]["status"] == "corrected");
    Command end;
    end.kind = CommandKind::End;
    REQUIRE(room.command_by(end, "therapist").ok);

    const Json report = build_report(read_journal(journal_path(dir.path / "state", id)));
    const Json& d = report["dose"];
    CHECK(d["amount_mg"] == 75);
    CHECK(d["route"] == "IM");
    CHECK(d["status"] == "corrected");
    CHECK(d["amended"] == Json{{"amount_mg", 56},
                               {"route", "IN"},
                               {"seq", fixed.seq},
                               {"by", "therapist"},
                               {"clock", d["amended"]["clock"]}});
    CHECK(d["booster"]["amount_mg"] == 37.5);
    CHECK(report["session"]["medication"]["code"] == "6130");
    CHECK(report_csv(report).find(",dose,75 mg IM,") != std::string::npos);
    const std::string html = report_html(report);
    CHECK(html.find("<s>75 mg IM</s> 56 mg IN (wrong-value, therapist at ") != std::string::npos);

    const Json bundle = report_fhir(report);
    std::vector<Json> given;
    for (const auto& e : bundle["entry"])
        if (e["resource"]["resourceType"] == "MedicationAdministration")
            given.push_back(e["resource"]);
    REQUIRE(given.size() == 2);
    const Json rxnorm = {{"coding",
                          {{{"system", "http://www.nlm.nih.gov/research/umls/rxnorm"},
                            {"code", "6130"},
                            {"display", "ketamine"}}}}};
    CHECK(given[0]["medicationCodeableConcept"] == rxnorm);
    CHECK(given[0]["dosage"]["dose"] == Json{{"value", 56},
                                             {"unit", "mg"},
                                             {"system", "http://unitsofmeasure.org"},
                                             {"code", "mg"}});
    CHECK(given[0]["dosage"]["route"]["coding"][0] == Json{{"system", "http://snomed.info/sct"},
                                                           {"code", "46713006"},
                                                           {"display", "Nasal route"}});
    CHECK(given[1]["dosage"]["dose"]["value"] == 37.5);
    CHECK(given[1]["dosage"]["route"]["coding"][0]["code"] == "78421000");
}
