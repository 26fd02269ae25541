// The session timeline and summary.
#include "runtime/session_views.hpp"

#include "engine/plan.hpp"
#include "runtime/state_json.hpp"
#include "scenes/light_depth.hpp"

namespace stillroom {

namespace {

constexpr int kMaxPlanStops = 1'000'000;

Json secs_or_null(const std::optional<Ms>& t) {
    return t ? Json(to_seconds(*t)) : Json(nullptr);
}

const char* cue_kind(const Cue& c) {
    return c.remind      ? "remind"
           : c.volume_db ? "volume"
           : c.depth     ? "depth"
           : c.scene     ? "scene"
           : c.playlist  ? "playlist"
           : c.sound     ? "sound"
           : c.midi      ? "midi"
                         : "mqtt";
}

// The effective level as points (t, db): each ramp's start and, where it completes before
// the next one starts, its end. Straight lines between points follow the ramps closely.
Json volume_curve(const std::vector<VolumeRamp>& ramps) {
    Json points = Json::array();
    for (std::size_t i = 0; i < ramps.size(); ++i) {
        const VolumeRamp& r = ramps[i];
        points.push_back({{"t", to_seconds(r.start)}, {"db", r.from_db}});
        const Ms end = r.start + r.length;
        const bool cut = i + 1 < ramps.size() && ramps[i + 1].start < end;
        if (!cut) points.push_back({{"t", to_seconds(end)}, {"db", r.to_db}});
    }
    return points;
}

// The effective depth as points (t, depth), like volume_curve.
Json depth_curve(const std::vector<DepthRamp>& ramps) {
    Json points = Json::array();
    for (std::size_t i = 0; i < ramps.size(); ++i) {
        const DepthRamp& r = ramps[i];
        points.push_back({{"t", to_seconds(r.start)}, {"depth", r.from}});
        const Ms end = r.start + r.length;
        const bool cut = i + 1 < ramps.size() && ramps[i + 1].start < end;
        if (!cut) points.push_back({{"t", to_seconds(end)}, {"depth", r.to}});
    }
    return points;
}

// The effective depth at t along the recorded ramps (0 before the first).
double depth_at(const std::vector<DepthRamp>& ramps, Ms t) {
    double d = 0;
    for (const auto& r : ramps)
        if (r.start <= t) d = r.value_at(t);
    return d;
}

Json episodes_of(const SessionHistory& h, const std::string& kind) {
    Json list = Json::array();
    for (const auto& e : h.episodes)
        if (e.kind == kind)
            list.push_back({{"start", to_seconds(e.start)}, {"end", secs_or_null(e.end)}});
    return list;
}

} // namespace

std::vector<Json> scene_light_targets(const Library& lib, const std::string& scene_id,
                                      const SceneLights& lights, Ms at, Ms fade, double depth) {
    std::vector<Json> out;
    for (const auto& light : lib.room.lights) {
        const auto it = lights.find(light.id);
        if (it == lights.end()) continue;
        const LightTarget target = at_depth(it->second, depth);
        Json j = {{"at", to_seconds(at)},
                  {"light", light.id},
                  {"scene", scene_id},
                  {"fade", to_seconds(fade)}};
        j["on"] = target.on.value_or(true);
        if (target.brightness) j["brightness"] = *target.brightness;
        if (target.kelvin) j["kelvin"] = *target.kelvin;
        if (target.color) j["color"] = {{"x", target.color->x}, {"y", target.color->y}};
        out.push_back(std::move(j));
    }
    return out;
}

Json session_timeline_json(const Session& live, Ms now, const Library& lib) {
    // The future: the planner continues a copy of the live session. A held phase, comfort
    // and lights up are assumed released now (otherwise the plan would never move on).
    Session copy = live;
    copy.advance_to(now);
    if (copy.status() == SessionStatus::Running) {
        Command c;
        if (copy.held()) c.kind = CommandKind::Resume, copy.apply(c, now);
        if (copy.comfort()) c.kind = CommandKind::Comfort, c.on = false, copy.apply(c, now);
        if (copy.lights_up()) c.kind = CommandKind::LightsUp, c.on = false, copy.apply(c, now);
    }
    Simulation sim(std::move(copy));
    for (int step = 0; step < kMaxPlanStops && !sim.finished(); ++step) {
        const auto stop = sim.next_stop();
        if (!stop) break;
        sim.run_to(*stop);
    }
    const Session& s = sim.session();
    const SessionHistory& h = s.history();
    const SessionTemplate& tmpl = s.setup().tmpl;
    const auto actual = [&](std::optional<Ms> t) { return t && *t <= now; };

    Json phases = Json::array();
    for (std::size_t i = 0; i < tmpl.phases.size(); ++i) {
        const Phase& p = tmpl.phases[i];
        const auto start = s.phase_started(static_cast<int>(i));
        const auto end = h.phase_ended[i];
        const char* state = !start          ? "skipped"
                            : actual(end)   ? "done"
                            : actual(start) ? "current"
                                            : "planned";
        phases.push_back(
            {{"index", i},
             {"id", p.id},
             {"name", p.name},
             {"until", to_string(p.until)},
             {"start", secs_or_null(start)},
             {"end", secs_or_null(end)},
             {"start_actual", actual(start)},
             {"end_actual", actual(end)},
             {"planned_duration", to_seconds(p.duration + s.phase_extra(static_cast<int>(i)))},
             {"state", state}});
    }
    Json cues = Json::array();
    for (std::size_t i = 0; i < tmpl.cues.size(); ++i) {
        const Cue& c = tmpl.cues[i];
        const auto at = h.cue_fired[i];
        Json j = {
            {"index", i}, {"at", secs_or_null(at)}, {"kind", cue_kind(c)}, {"fired", actual(at)}};
        if (c.remind) {
            j["text"] = *c.remind;
            j["vitals"] = c.vitals;
            std::optional<Ms> done;
            for (const auto& r : live.history().reminders)
                if (r.cue == static_cast<int>(i) && r.done_at) done = r.done_at;
            j["ack"] = done.has_value();
            j["ack_at"] = secs_or_null(done);
        }
        if (c.scene) j["scene"] = *c.scene;
        if (c.volume_db) j["volume_db"] = *c.volume_db;
        if (c.depth) j["depth"] = *c.depth;
        cues.push_back(std::move(j));
    }
    Json scenes = Json::array();
    Json lights = Json::object();
    for (const auto& light : lib.room.lights)
        lights[light.id] = Json::array();
    for (const auto& f : h.scenes) {
        scenes.push_back({{"at", to_seconds(f.start)},
                          {"scene", f.scene},
                          {"fade", to_seconds(f.fade)},
                          {"actual", f.start <= now}});
        for (auto& target : scene_light_targets(lib, f.scene, f.lights, f.start, f.fade,
                                                depth_at(h.depth, f.start))) {
            const std::string id = target["light"].get<std::string>();
            target.erase("light");
            lights[id].push_back(std::move(target));
        }
    }
    Json dose = nullptr;
    if (s.dose_at()) dose = {{"at", to_seconds(*s.dose_at())}, {"actual", actual(s.dose_at())}};
    Json booster = nullptr;
    if (live.booster_at()) booster = {{"at", to_seconds(*live.booster_at())}, {"actual", true}};
    return {{"id", live.id()},
            {"now", to_seconds(now)},
            {"status", to_string(live.status())},
            {"end", secs_or_null(h.finished)},
            {"end_fade_start", secs_or_null(h.end_pressed)},
            {"assumes",
             "the dose when its phase reaches its planned length, therapist phases ending at "
             "theirs, hold, comfort and lights up released now"},
            {"phases", phases},
            {"dose", dose},
            {"booster", booster},
            {"booster_available", live.booster_available()},
            {"cues", cues},
            {"volume", volume_curve(h.volume)},
            {"depth", depth_curve(h.depth)},
            {"scenes", scenes},
            {"lights", lights},
            {"hold", episodes_of(live.history(), "hold")},
            {"comfort", episodes_of(live.history(), "comfort")},
            {"lights_up", episodes_of(live.history(), "lights_up")}};
}

Json session_summary_json(const Session& session, Ms now) {
    const SessionHistory& h = session.history();
    const SessionTemplate& tmpl = session.setup().tmpl;
    Json phases = Json::array();
    for (std::size_t i = 0; i < tmpl.phases.size(); ++i) {
        const auto start = session.phase_started(static_cast<int>(i));
        if (!start) continue; // skipped or not reached
        phases.push_back({{"id", tmpl.phases[i].id},
                          {"name", tmpl.phases[i].name},
                          {"start", to_seconds(*start)},
                          {"end", secs_or_null(h.phase_ended[i])}});
    }
    int answered = 0;
    for (const auto& r : h.reminders)
        answered += r.done_at ? 1 : 0;
    const Ms duration = h.finished ? *h.finished : now;
    return {{"id", session.id()},
            {"label", session.setup().label},
            {"template", tmpl.id},
            {"template_name", tmpl.name},
            {"status", to_string(session.status())},
            {"duration", to_seconds(duration)},
            {"ended_at", secs_or_null(h.end_pressed)},
            {"phases", phases},
            {"dose_at", secs_or_null(session.dose_at())},
            {"booster_at", secs_or_null(session.booster_at())},
            {"vitals", vitals_json(session)},
            {"hold", episodes_of(h, "hold")},
            {"comfort", episodes_of(h, "comfort")},
            {"lights_up", episodes_of(h, "lights_up")},
            {"reminders", {{"fired", h.reminders.size()}, {"answered", answered}}},
            {"report", "/api/v1/reports/" + session.id()}};
}

} // namespace stillroom
