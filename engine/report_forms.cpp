// The record forms the session report can fill. Each form reads the finished report JSON
// (docs/report.md) and says, field by field, what it found and what is missing.
//
// spravato-rems: the Spravato REMS patient monitoring form asks for blood pressure before
// the dose, about 40 minutes after it and before discharge, at least 2 hours of monitoring
// after the dose, and whether sedation, dissociation or respiratory depression occurred
// (Janssen, SPRAVATO REMS "Patient Monitoring Form", www.spravatorems.com; prescribing
// information section 2.4: "assess blood pressure approximately 40 minutes post-dose and
// subsequently as clinically warranted"). The windows below are ours and documented in
// docs/report.md: ~40 min = 30 to 50 min after the dose; before discharge = the last
// reading after that window and no more than 30 min before the session's end.
#include "engine/report_forms.hpp"

#include "engine/duration.hpp"

#include <array>
#include <cmath>
#include <optional>

namespace stillroom {

namespace {

std::optional<Ms> ms_of(const Json& seconds) {
    if (!seconds.is_number()) return std::nullopt;
    return Ms{static_cast<Ms::rep>(std::llround(seconds.get<double>() * 1000.0))};
}

struct FormWriter {
    Json fields = Json::array();
    Json missing = Json::array();

    void field(const char* key, const std::string& label, bool ok, const std::string& value,
               const std::string& problem = "") {
        fields.push_back(
            {{"key", key}, {"label", label}, {"status", ok ? "ok" : "missing"}, {"value", value}});
        if (!ok) missing.push_back(problem.empty() ? label + ": missing" : problem);
    }
    Json done(const FormSpec& spec) const {
        return {{"id", spec.id},
                {"title", spec.title},
                {"complete", missing.empty()},
                {"fields", fields},
                {"missing", missing}};
    }
};

std::string bp_text(const Json& v) {
    return std::to_string(v["systolic"].get<int>()) + "/" +
           std::to_string(v["diastolic"].get<int>()) + " at dose" +
           (ms_of(v["since_dose_s"]).value_or(Ms{0}) < Ms{0} ? "" : "+") +
           format_clock(ms_of(v["since_dose_s"]).value_or(Ms{0}));
}

Json fill_spravato(const FormSpec& spec, const Json& report) {
    using std::chrono::minutes;
    FormWriter w;
    const auto dose = ms_of(report["dose"]["dose_s"]);
    w.field("dose", "Dose marked", dose.has_value(),
            dose ? format_clock(*dose) + " after start" : "");

    // Readings with both pressures, in session order.
    std::vector<const Json*> bp;
    for (const auto& v : report["vitals"])
        if (report_entry_counts(v) && v["systolic"].is_number_integer() &&
            v["diastolic"].is_number_integer() && ms_of(v["since_dose_s"]))
            bp.push_back(&v);
    const Json* before = nullptr;
    const Json* at40 = nullptr;
    const Json* discharge = nullptr;
    const auto end = ms_of(report["session"]["duration_s"]).value_or(Ms{0});
    for (const Json* v : bp) {
        const Ms since = *ms_of((*v)["since_dose_s"]);
        if (since <= Ms{0}) before = v;
        if (since >= minutes{30} && since <= minutes{50} &&
            (!at40 || std::chrono::abs(since - minutes{40}) <
                          std::chrono::abs(*ms_of((*at40)["since_dose_s"]) - minutes{40})))
            at40 = v;
        if (since > minutes{50} && end - *ms_of((*v)["t_s"]) <= minutes{30}) discharge = v;
    }
    w.field("bp_pre_dose", "BP before dose", before, before ? bp_text(*before) : "");
    w.field("bp_40_min", "BP at ~40 min", at40, at40 ? bp_text(*at40) : "");
    w.field("bp_discharge", "BP before discharge", discharge, discharge ? bp_text(*discharge) : "");

    const auto monitoring = ms_of(report["monitoring_s"]);
    const long long monitored_min = monitoring ? monitoring->count() / 60000 : 0;
    const bool long_enough = monitoring && *monitoring >= minutes{120};
    w.field("monitoring", "Monitoring after dose (at least 120 min)", long_enough,
            monitoring ? std::to_string(monitored_min) + " min" : "",
            monitoring ? "monitoring " + std::to_string(monitored_min) + " min < 120"
                       : "monitoring: no dose marked");

    static const std::array<std::pair<const char*, const char*>, 3> kAsked{
        {{"sedation", "Sedation"},
         {"dissociation", "Dissociation"},
         {"respiratory", "Respiratory depression"}}};
    for (const auto& [code, label] : kAsked) {
        std::string seen;
        for (const auto& o : report["observations"]) {
            if (o.value("code", "") != code || !report_entry_counts(o)) continue;
            const auto since = ms_of(o["since_dose_s"]);
            seen +=
                (seen.empty() ? "yes: " : ", ") +
                (since ? std::string("dose") + (*since < Ms{0} ? "" : "+") + format_clock(*since)
                       : format_clock(ms_of(o["t_s"]).value_or(Ms{0})) + " after start");
        }
        w.field(code, label, true, seen.empty() ? "none marked" : seen);
    }
    // A template with a monitoring clock: the discharge checklist (record/report_monitoring.cpp).
    if (report.contains("monitoring") && report["monitoring"].is_object()) {
        const Json& d = report["monitoring"]["discharge"];
        std::string value;
        if (d.is_object()) {
            const auto since = ms_of(d["since_dose_s"]);
            const Json& last_bp = d["checklist"]["bp"];
            value = "at " + (since ? "dose+" + format_clock(*since) : std::string("?")) +
                    ": monitoring time reached, last BP " +
                    (last_bp.is_object() ? std::to_string(last_bp["systolic"].get<int>()) + "/" +
                                               std::to_string(last_bp["diastolic"].get<int>())
                                         : std::string("none")) +
                    (d["checklist"].value("bp_in_range", false) ? " in range" : " NOT in range") +
                    ", sedation and dissociation resolved";
        }
        w.field("discharge", "Discharge checklist", d.is_object(), value,
                "discharge checklist: not done");
    }
    return w.done(spec);
}

const std::array<FormSpec, 1>& forms() {
    static const std::array<FormSpec, 1> table{{
        {"spravato-rems",
         "Spravato REMS patient monitoring",
         {"sedation", "dissociation", "respiratory"},
         fill_spravato},
    }};
    return table;
}

} // namespace

bool report_entry_counts(const Json& row) {
    const std::string status = row.contains("status") && row["status"].is_string()
                                   ? row["status"].get<std::string>()
                                   : "final";
    return status == "final" || status == "amended";
}

const FormSpec* find_form(std::string_view id) {
    for (const auto& f : forms())
        if (id == f.id) return &f;
    return nullptr;
}

std::vector<std::string> form_ids() {
    std::vector<std::string> ids;
    for (const auto& f : forms())
        ids.emplace_back(f.id);
    return ids;
}

} // namespace stillroom
