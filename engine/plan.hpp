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

// A session run on simulated time with the planner's assumptions: the dose is marked when
// its phase reaches its planned duration, therapist phases end at theirs (Next, or End in
// the last phase: Next never ends a session). Other commands
// (e.g. track-failed from the renderer) may be applied along the way.
class Simulation {
public:
    explicit Simulation(const SessionSetup& setup) : session_(setup) {}
    // Continues a live session (a copy) from where it is: the timeline "as it now stands".
    explicit Simulation(Session session) : session_(std::move(session)) {}
    Effects start() { return session_.start(); }
    bool finished() const { return session_.status() == SessionStatus::Finished; }
    // When something next happens: an event or an assumed therapist command.
    std::optional<Ms> next_stop() const;
    // Everything due up to and including t, assumed commands included.
    Effects run_to(Ms t);
    Outcome apply(const Command& cmd, Ms t) { return session_.apply(cmd, t); }
    const Session& session() const { return session_; }

private:
    std::optional<std::pair<Ms, Command>> assumed_command() const;
    Session session_;
};

// Everything the session does, in order.
Plan build_plan(const SessionSetup& setup);

// The simulated run itself: calls on_effect for every effect, in time order.
// Returns the session's final time.
Ms simulate_session(const SessionSetup& setup, const std::function<void(const Effect&)>& on_effect);

Json plan_line_json(const PlanLine& line);
std::string plan_text(const Plan& plan, const SessionTemplate& tmpl);

} // namespace stillroom
