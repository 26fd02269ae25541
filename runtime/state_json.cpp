// Session state as JSON.
#include "runtime/state_json.hpp"

namespace stillroom {

namespace {

Json seconds_or_null(const std::optional<Ms>& d) {
    return d ? Json(to_seconds(*d)) : Json(nullptr);
}

} // namespace

Json vitals_json(const Session& session) {
    Json list = Json::array();
    const auto dose = session.dose_at();
    for (const auto& v : session.vitals()) {
        Json j = {{"at", to_seconds(v.at)},
                  {"since_dose", dose ? Json(to_seconds(v.at - *dose)) : Json(nullptr)},
                  {"flags", vitals_flags(v, session.setup().tmpl.vitals_alert)}};
        if (v.systolic) j["systolic"] = *v.systolic;
        if (v.diastolic) j["diastolic"] = *v.diastolic;
        if (v.hr) j["hr"] = *v.hr;
        if (v.spo2) j["spo2"] = *v.spo2;
        if (!v.source.empty()) j["source"] = v.source;
        list.push_back(std::move(j));
    }
    return list;
}

Json vitals_alert_json(const VitalsAlert& a) {
    return {{"systolic_max", a.systolic_max},
            {"diastolic_max", a.diastolic_max},
            {"hr_min", a.hr_min},
            {"hr_max", a.hr_max},
            {"spo2_min", a.spo2_min}};
}

Json session_state_json(const Session& session, const DesiredState& s) {
    const auto& setup = session.setup();
    Json reminders = Json::array();
    for (const auto& r : s.reminders)
        reminders.push_back(
            {{"cue", r.cue}, {"text", r.text}, {"vitals", r.vitals}, {"at", to_seconds(r.at)}});
    Json next = nullptr;
    if (s.next_cue) {
        next = {{"cue", s.next_cue->cue},
                {"what", s.next_cue->what},
                {"at", seconds_or_null(s.next_cue->at)},
                {"in", s.next_cue->at ? Json(to_seconds(*s.next_cue->at - s.t)) : Json(nullptr)}};
    }
    Json playing = nullptr;
    if (s.playing) {
        playing = {{"playlist", s.playing->playlist},
                   {"track", s.playing->track},
                   {"file", s.playing->file},
                   {"title", s.playing->title},
                   {"position", to_seconds(s.playing->position)},
                   {"length", to_seconds(s.playing->length)}};
    }
    const Ms remaining = s.phase_planned - s.phase_elapsed;
    // A phase with a playlist that plays nothing: {"seconds", "alert"} (alert past 5 s).
    Json silence = nullptr;
    if (s.silent_since) {
        const Ms length = std::max(s.t - *s.silent_since, Ms{0});
        silence = {{"seconds", to_seconds(length)}, {"alert", length > kSilenceAlert}};
    }
    const Json vitals = vitals_json(session);
    bool vitals_flagged = false;
    for (const auto& v : vitals)
        vitals_flagged = vitals_flagged || !v["flags"].empty();
    return {
        {"id", setup.id},
        {"label", setup.label},
        {"template", setup.tmpl.id},
        {"template_name", setup.tmpl.name},
        {"status", to_string(s.status)},
        {"phase",
         {{"index", s.phase_index},
          {"id", s.phase_id},
          {"name", s.phase_name},
          {"count", setup.tmpl.phases.size()},
          {"until", to_string(setup.tmpl.phases[static_cast<std::size_t>(s.phase_index)].until)},
          {"elapsed", to_seconds(s.phase_elapsed)},
          {"planned", to_seconds(s.phase_planned)},
          {"remaining", to_seconds(remaining)}}},
        {"held", s.held},
        {"comfort", s.comfort},
        {"lights_up", s.lights_up},
        {"since_start", to_seconds(s.t)},
        {"since_dose", seconds_or_null(s.since_dose)},
        {"booster", s.booster},
        {"booster_available", session.booster_available()},
        {"has_booster", setup.tmpl.booster.has_value()},
        {"last_phase", static_cast<std::size_t>(s.phase_index) + 1 == setup.tmpl.phases.size()},
        {"next_cue", next},
        {"reminders", reminders},
        {"now_playing", playing},
        {"silence", silence},
        {"volume_db", s.volume_db},
        {"volume_target_db", s.volume_target_db},
        {"volume",
         {{"effective_db", s.volume_db},
          {"target_db", s.volume_target_db},
          {"trim_db", s.volume_trim_db},
          {"arc_db", s.volume_arc_db},
          {"overlay_db", s.volume_overlay_db},
          {"ceiling_db", s.volume_ceiling_db}}},
        {"depth",
         {{"effective", s.depth},
          {"target", s.depth_target},
          {"arc", s.depth_arc},
          {"trim", s.depth_trim}}},
        {"vitals", vitals},
        {"vitals_flagged", vitals_flagged},
        {"vitals_alert", vitals_alert_json(setup.tmpl.vitals_alert)},
        {"report", "/api/v1/reports/" + setup.id},
        {"scene", s.scene.empty() ? Json(nullptr) : Json(s.scene)},
        {"scene_progress", s.scene_progress}};
}

} // namespace stillroom
