// The session record as a FHIR R4 Bundle (type "collection"), built from the report JSON.
// References: FHIR R4 (hl7.org/fhir/R4) Bundle, Encounter, Procedure,
// MedicationAdministration, Observation (the vital-signs profile's LOINC codes and UCUM
// units), Practitioner, Patient, Provenance; v3 ObservationInterpretation H/L.
// No patient name and no free text: a Patient carries only the session label; performers are
// the room's user names; observations are the template's codes.
#include "record/report.hpp"

#include "engine/dose_spec.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>

#include <set>

namespace stillroom {

namespace {

constexpr const char* kLoinc = "http://loinc.org";
constexpr const char* kSnomed = "http://snomed.info/sct";
constexpr const char* kUcum = "http://unitsofmeasure.org";
constexpr const char* kInterpretation =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
constexpr const char* kCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
constexpr const char* kObservationCodes = "urn:stillroom:observation";
constexpr const char* kUserSystem = "urn:stillroom:user";
constexpr const char* kLabelSystem = "urn:stillroom:session-label";
constexpr const char* kSessionSystem = "urn:stillroom:session";

// A FHIR id: [A-Za-z0-9-.]{1,64}.
std::string fhir_id(const std::string& text) {
    std::string out;
    for (char ch : text)
        out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.') ? ch : '-';
    if (out.empty()) out = "x";
    return out.substr(0, 64);
}

// A string member, or "" (absent or null: a journal from before who and when).
std::string text_of(const Json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

bool is_staff(const std::string& by) {
    return !by.empty() && by != "mqtt" && by != "midi" && by != "console" && by != "schedule";
}

Json coding(const char* system, const std::string& code, const std::string& display = "") {
    Json c = {{"system", system}, {"code", code}};
    if (!display.empty()) c["display"] = display;
    return c;
}

Json concept_of(Json c) {
    return {{"coding", Json::array({std::move(c)})}};
}

Json quantity(int value, const char* unit, const char* code) {
    return {{"value", value}, {"unit", unit}, {"system", kUcum}, {"code", code}};
}

class BundleWriter {
public:
    explicit BundleWriter(const Json& report) : report_(report) {}
    Json build();

private:
    void add(Json resource) {
        const std::string url = std::string("urn:stillroom:") +
                                resource["resourceType"].get<std::string>() + ":" +
                                resource["id"].get<std::string>();
        entries_.push_back({{"fullUrl", url}, {"resource", std::move(resource)}});
    }
    Json practitioner(const std::string& by) {
        const std::string id = "user-" + fhir_id(by);
        if (users_.insert(by).second)
            add({{"resourceType", "Practitioner"},
                 {"id", id},
                 {"identifier", Json::array({{{"system", kUserSystem}, {"value", by}}})}});
        return {{"reference", "Practitioner/" + id}};
    }
    Json performers(const Json& row) {
        const std::string by = text_of(row, "by");
        if (!is_staff(by)) return nullptr;
        return Json::array({{{"actor", practitioner(by)}}});
    }
    static std::string status_of(const Json& row) {
        const std::string s = text_of(row, "status");
        if (s == "entered-in-error") return "entered-in-error";
        if (s == "corrected") return "entered-in-error"; // a later entry stands in its place
        if (s == "amended") return "corrected"; // FHIR: the value was corrected after final
        return "final";
    }
    void dose(const Json& entry, const char* id);
    void vitals(const Json& row);
    void observation(const Json& row);
    void sign_off();

    const Json& report_;
    Json entries_ = Json::array();
    std::set<std::string> users_;
    Json subject_ = {{"reference", "Patient/patient"}};
    Json encounter_ = {{"reference", "Encounter/encounter"}};
};

void BundleWriter::dose(const Json& entry, const char* id) {
    if (!entry.is_object() || !entry.contains("clock") || !entry["clock"].is_string()) return;
    const Json med = report_["session"].value("medication", Json(nullptr));
    Json m = {{"resourceType", "MedicationAdministration"},
              {"id", id},
              {"status",
               text_of(entry, "status") == "entered-in-error" ? "entered-in-error" : "completed"},
              {"subject", subject_},
              {"context", encounter_},
              {"effectiveDateTime", entry["clock"]}};
    if (med.is_object() && med.contains("code"))
        m["medicationCodeableConcept"] = concept_of(
            coding(med.value("system", "http://www.nlm.nih.gov/research/umls/rxnorm").c_str(),
                   med["code"].get<std::string>(), med.value("display", "")));
    else // the template names no medication code: the session template stands for it
        m["medicationCodeableConcept"] = concept_of(
            coding("urn:stillroom:template", report_["session"].value("template_id", "session")));
    if (auto p = performers(entry); p.is_array()) m["performer"] = p;
    // The structured fields that stand: a wrong-value correction's (report_chart.cpp), else
    // the mark's. The route as its SNOMED CT code (engine/dose_spec.cpp).
    const Json& fields =
        entry.contains("amended") && entry["amended"].is_object() ? entry["amended"] : entry;
    Json dosage = Json::object();
    if (fields.contains("amount_mg") && fields["amount_mg"].is_number())
        dosage["dose"] = {
            {"value", fields["amount_mg"]}, {"unit", "mg"}, {"system", kUcum}, {"code", "mg"}};
    if (fields.contains("route") && fields["route"].is_string())
        if (const DoseRoute* route = find_dose_route(fields["route"].get<std::string>()))
            dosage["route"] = concept_of(coding(kSnomed, route->snomed, route->display));
    if (!dosage.empty()) m["dosage"] = dosage;
    add(std::move(m));
}

void BundleWriter::vitals(const Json& row) {
    if (!row.contains("clock") || !row["clock"].is_string()) return;
    const std::string seq =
        (row["seq"].is_number_integer() ? std::to_string(row["seq"].get<std::int64_t>())
                                        : std::string("0"));
    const Json flags = row.value("flags", Json::array());
    auto has = [&](const char* f) {
        return std::find(flags.begin(), flags.end(), f) != flags.end();
    };
    auto interpretation = [&](const char* high, const char* low) -> Json {
        if (high && has(high))
            return Json::array({concept_of(coding(kInterpretation, "H", "High"))});
        if (low && has(low)) return Json::array({concept_of(coding(kInterpretation, "L", "Low"))});
        return nullptr;
    };
    auto base = [&](const std::string& id, Json code) {
        Json o = {{"resourceType", "Observation"},
                  {"id", id},
                  {"identifier", Json::array({{{"system", kSessionSystem}, {"value", seq}}})},
                  {"status", status_of(row)},
                  {"category",
                   Json::array({concept_of(coding(kCategory, "vital-signs", "Vital Signs"))})},
                  {"code", std::move(code)},
                  {"subject", subject_},
                  {"encounter", encounter_},
                  {"effectiveDateTime", row["clock"]}};
        if (auto p = performers(row); p.is_array()) {
            Json refs = Json::array();
            for (const auto& x : p)
                refs.push_back(x["actor"]);
            o["performer"] = refs;
        }
        return o;
    };
    if (row["systolic"].is_number_integer() || row["diastolic"].is_number_integer()) {
        Json o = base("bp-" + seq,
                      concept_of(coding(kLoinc, "85354-9",
                                        "Blood pressure panel with all children optional")));
        Json components = Json::array();
        for (const auto& [key, code, display, high] :
             {std::tuple{"systolic", "8480-6", "Systolic blood pressure", "systolic_high"},
              std::tuple{"diastolic", "8462-4", "Diastolic blood pressure", "diastolic_high"}}) {
            if (!row[key].is_number_integer()) continue;
            Json c = {{"code", concept_of(coding(kLoinc, code, display))},
                      {"valueQuantity", quantity(row[key].get<int>(), "mmHg", "mm[Hg]")}};
            if (auto i = interpretation(high, nullptr); i.is_array()) c["interpretation"] = i;
            components.push_back(std::move(c));
        }
        o["component"] = components;
        add(std::move(o));
    }
    if (row["hr"].is_number_integer()) {
        Json o = base("hr-" + seq, concept_of(coding(kLoinc, "8867-4", "Heart rate")));
        o["valueQuantity"] = quantity(row["hr"].get<int>(), "beats/minute", "/min");
        if (auto i = interpretation("hr_high", "hr_low"); i.is_array()) o["interpretation"] = i;
        add(std::move(o));
    }
    if (row["spo2"].is_number_integer()) {
        Json o = base("spo2-" + seq,
                      concept_of(coding(kLoinc, "59408-5",
                                        "Oxygen saturation in Arterial blood by Pulse oximetry")));
        o["valueQuantity"] = quantity(row["spo2"].get<int>(), "%", "%");
        if (auto i = interpretation(nullptr, "spo2_low"); i.is_array()) o["interpretation"] = i;
        add(std::move(o));
    }
}

void BundleWriter::observation(const Json& row) {
    if (!row.contains("clock") || !row["clock"].is_string()) return;
    const std::string seq =
        (row["seq"].is_number_integer() ? std::to_string(row["seq"].get<std::int64_t>())
                                        : std::string("0"));
    Json o = {{"resourceType", "Observation"},
              {"id", "obs-" + seq},
              {"identifier", Json::array({{{"system", kSessionSystem}, {"value", seq}}})},
              {"status", status_of(row)},
              {"code", concept_of(coding(kObservationCodes, text_of(row, "code")))},
              {"subject", subject_},
              {"encounter", encounter_},
              {"effectiveDateTime", row["clock"]},
              {"valueBoolean", true}};
    if (auto p = performers(row); p.is_array()) {
        Json refs = Json::array();
        for (const auto& x : p)
            refs.push_back(x["actor"]);
        o["performer"] = refs;
    }
    add(std::move(o));
}

void BundleWriter::sign_off() {
    const Json s = report_.value("signed", Json(nullptr));
    if (!s.is_object()) return;
    Json targets = Json::array({encounter_});
    for (const auto& e : entries_) {
        const Json& r = e["resource"];
        const std::string type = r["resourceType"].get<std::string>();
        if (type == "Observation" || type == "MedicationAdministration" || type == "Procedure")
            targets.push_back({{"reference", type + "/" + r["id"].get<std::string>()}});
    }
    add({{"resourceType", "Provenance"},
         {"id", "sign-off"},
         {"target", targets},
         {"recorded", s["clock"]},
         {"activity",
          concept_of(coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "AUTHEN",
                            "authenticator"))},
         {"agent", Json::array({{{"who", practitioner(text_of(s, "by"))}}})}});
}

Json BundleWriter::build() {
    const Json& s = report_["session"];
    Json patient = {{"resourceType", "Patient"}, {"id", "patient"}};
    if (!text_of(s, "label").empty())
        patient["identifier"] = Json::array({{{"system", kLabelSystem}, {"value", s["label"]}}});
    add(patient);
    const bool finished = s.value("status", "") == "finished";
    Json period = Json::object();
    if (s["started_at"].is_string()) period["start"] = s["started_at"];
    if (s.contains("ended_at") && s["ended_at"].is_string()) period["end"] = s["ended_at"];
    add({{"resourceType", "Encounter"},
         {"id", "encounter"},
         {"identifier", Json::array({{{"system", kSessionSystem}, {"value", s.value("id", "")}}})},
         {"status", finished ? "finished" : "in-progress"},
         {"class", coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory")},
         {"subject", subject_},
         {"period", period}});
    Json procedure = {{"resourceType", "Procedure"},
                      {"id", "procedure"},
                      {"status", finished ? "completed" : "in-progress"},
                      {"code", concept_of(coding("urn:stillroom:template",
                                                 fhir_id(s.value("template_id", "session")),
                                                 s.value("template_name", "")))},
                      {"subject", subject_},
                      {"encounter", encounter_},
                      {"performedPeriod", period}};
    add(procedure);
    dose(report_["dose"], "dose");
    dose(report_["dose"].value("booster", Json(nullptr)), "booster");
    for (const auto& v : report_["vitals"])
        vitals(v);
    for (const auto& o : report_["observations"])
        observation(o);
    sign_off();
    return {{"resourceType", "Bundle"},
            {"id", fhir_id(s.value("id", "session"))},
            {"type", "collection"},
            {"entry", entries_}};
}

} // namespace

Json report_fhir(const Json& report) {
    if (report.contains("error")) return report;
    return BundleWriter(report).build();
}

} // namespace stillroom
