// The planned timeline of a template: the real Session run on simulated time, assuming
// the dose is marked when its phase reaches its planned duration and therapist phases
// end at theirs. Because it is the engine itself, the plan is what a live run does.
#pragma once

#include "engine/session.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

struct PlanLine {
    Ms at{0};
    std::optional<Ms> dose; // relative to the dose mark (negative before); none: no dose
    std::string phase;
    std::string kind; // phase | scene | playlist | volume | remind | sound | midi | mqtt
    Json fields;      // the kind's own fields
    std::string text; // one-line description
};

struct Plan {
    std::vector<PlanLine> lines;
    std::optional<Ms> dose_at;
    Ms length{0}; // until the session has finished
};

// Everything the session does, in order. `on_effect`, if given, sees every effect too
// (the offline renderer uses it).
Plan build_plan(const SessionSetup& setup);

// The simulated run itself: calls on_effect for every effect, in time order.
// Returns the session's final time.
Ms simulate_session(const SessionSetup& setup, const std::function<void(const Effect&)>& on_effect);

Json plan_line_json(const PlanLine& line);
std::string plan_text(const Plan& plan, const SessionTemplate& tmpl);

} // namespace stillroom
