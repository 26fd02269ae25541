// The monitoring clock in the record (docs/vitals.md "Monitoring clock"): how long the
// template asks, how long the patient was monitored after the dose, and the discharge
// checklist as it stood when the therapist discharged (the last standing blood pressure
// before it).
#include "record/report.hpp"

#include "engine/report_forms.hpp"

#include <cmath>

namespace stillroom {

void report_monitoring(Json& report, const SessionTemplate& tmpl, const Json& discharge) {
    if (!tmpl.monitoring) return; // no key: the record of a template without one
    const Json after = report_seconds(tmpl.monitoring->after_dose);
    const Json& monitored = report["monitoring_s"];
    Json out = {
        {"after_dose_s", after},
        {"monitored_s", monitored},
        {"reached", monitored.is_number() && report_seconds(monitored) >= report_seconds(after)},
        {"discharge", nullptr}};
    if (discharge.is_object()) {
        // The last blood pressure that stands in the record at the discharge.
        Json bp = nullptr;
        for (const auto& v : report["vitals"]) {
            if (!report_entry_counts(v) || !v["systolic"].is_number_integer() ||
                !v["diastolic"].is_number_integer() ||
                report_seconds(v["t_s"]) > report_seconds(discharge["t_s"]))
                continue;
            if (bp.is_object() && report_seconds(bp["t_s"]) > report_seconds(v["t_s"])) continue;
            bp = {{"systolic", v["systolic"]}, {"diastolic", v["diastolic"]}, {"t_s", v["t_s"]}};
        }
        const bool bp_ok = bp.is_object() &&
                           bp["systolic"].get<int>() <= tmpl.vitals_alert.systolic_max &&
                           bp["diastolic"].get<int>() <= tmpl.vitals_alert.diastolic_max;
        const Json& dose = report["dose"]["dose_s"];
        Json d = {{"t_s", discharge["t_s"]},
                  {"since_dose_s",
                   dose.is_number()
                       ? report_seconds(Ms{std::llround(
                             (report_seconds(discharge["t_s"]) - report_seconds(dose)) * 1000.0)})
                       : Json(nullptr)},
                  {"seq", discharge["seq"]},
                  {"clock", discharge["clock"]},
                  {"by", discharge["by"]},
                  {"checklist",
                   {{"monitoring_time", true}, // the room discharges only then
                    {"bp_in_range", bp_ok},
                    {"bp", bp},
                    {"sedation_resolved", true},
                    {"dissociation_resolved", true}}}};
        out["discharge"] = std::move(d);
    }
    report["monitoring"] = std::move(out);
}

} // namespace stillroom
