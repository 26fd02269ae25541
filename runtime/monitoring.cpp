// The monitoring clock and the discharge checklist.
#include "runtime/monitoring.hpp"

#include "engine/duration.hpp"

#include <cmath>

namespace stillroom {

namespace {

std::optional<Ms> ms_of(const Json& seconds) {
    if (!seconds.is_number()) return std::nullopt;
    return Ms{static_cast<Ms::rep>(std::llround(seconds.get<double>() * 1000.0))};
}

} // namespace

Json last_standing_bp(const Json& entries, const VitalsAlert& alert) {
    Json best = nullptr;
    Ms best_t{-1};
    for (const auto& e : entries) {
        if (e.value("kind", "") != "vitals" || e.value("status", "") == "entered-in-error")
            continue;
        Json value = e.value("value", Json::object());
        auto t = ms_of(e.value("t_s", Json(nullptr))).value_or(Ms{0});
        const Json& corrections = e["corrections"];
        if (!corrections.empty()) { // the last correction stands
            const Json& last = corrections.back();
            const Json& v = last.value("value", Json::object());
            if (last.value("reason", "") == "wrong-value") value = v;
            if (last.value("reason", "") == "wrong-time")
                t = ms_of(v.value("t_s", Json(nullptr))).value_or(t);
        }
        if (!value.contains("systolic") || !value.contains("diastolic") || t < best_t) continue;
        best_t = t;
        const int sys = value["systolic"].get<int>(), dia = value["diastolic"].get<int>();
        best = {{"systolic", sys},
                {"diastolic", dia},
                {"t_s", to_seconds(t)},
                {"seq", e["seq"]},
                {"in_range", sys <= alert.systolic_max && dia <= alert.diastolic_max}};
    }
    return best;
}

Json monitoring_state_json(const Session& session, const Json& entries, const Json& discharge,
                           Ms now) {
    const auto& spec = session.setup().tmpl.monitoring;
    if (!spec) return nullptr;
    const auto dose = session.dose_at();
    const bool dosed = dose.has_value();
    const Ms since = dosed ? now - *dose : Ms{0};
    const auto discharged = session.discharged_at();
    const bool reached = dosed && since >= spec->after_dose;
    const Json bp = last_standing_bp(entries, session.setup().tmpl.vitals_alert);
    const bool bp_ok = bp.is_object() && bp["in_range"].get<bool>();
    Json checklist = Json::array({
        {{"item", "monitoring_time"}, {"ok", reached || discharged.has_value()}},
        {{"item", "bp_in_range"}, {"ok", bp_ok}, {"bp", bp}},
        {{"item", "sedation_resolved"}, {"ok", discharged.has_value()}},
        {{"item", "dissociation_resolved"}, {"ok", discharged.has_value()}},
    });
    Json done = nullptr;
    if (discharged)
        done = discharge.is_object() ? discharge : Json{{"t_s", to_seconds(*discharged)}};
    return {{"after_dose_s", to_seconds(spec->after_dose)},
            {"since_dose_s", dosed ? Json(to_seconds(since)) : Json(nullptr)},
            {"left_s",
             dosed ? Json(to_seconds(std::max(spec->after_dose - since, Ms{0}))) : Json(nullptr)},
            {"reached", reached},
            {"checklist", checklist},
            // The room's own items are ok: the tablet offers Discharge (the therapist confirms
            // sedation and dissociation resolved).
            {"ready", reached && bp_ok && !discharged},
            {"discharged", done}};
}

std::string discharge_refusal(const Session& session, const Json& entries) {
    const auto& tmpl = session.setup().tmpl;
    if (!tmpl.monitoring || session.discharged_at() || !session.dose_at() ||
        session.now() - *session.dose_at() < tmpl.monitoring->after_dose)
        return ""; // the session refuses these with its own reason (the checklist's order)
    const Json bp = last_standing_bp(entries, tmpl.vitals_alert);
    if (!bp.is_object()) return "bp_in_range: no blood pressure is recorded";
    if (!bp["in_range"].get<bool>())
        return "bp_in_range: the last blood pressure (" +
               std::to_string(bp["systolic"].get<int>()) + "/" +
               std::to_string(bp["diastolic"].get<int>()) + ") is above " +
               std::to_string(tmpl.vitals_alert.systolic_max) + "/" +
               std::to_string(tmpl.vitals_alert.diastolic_max) + ": take it again";
    return "";
}

} // namespace stillroom
