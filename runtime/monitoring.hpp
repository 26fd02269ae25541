// The monitoring clock and discharge checklist of a template with "monitoring":
// {"after_dose": "2h"} (docs/vitals.md "Monitoring clock"): how long the patient has been
// monitored since the dose, the time left, and the checklist the therapist completes before
// discharge. Runs under the room lock.
#pragma once

#include "engine/session.hpp"

#include <string>

namespace stillroom {

// The last blood pressure that stands in the record (session.entries: entered-in-error
// readings skipped, a wrong-value / wrong-time correction's reading and time used):
// {"systolic", "diastolic", "t_s", "seq", "in_range"}, or null.
Json last_standing_bp(const Json& entries, const VitalsAlert& alert);

// session.monitoring: null without a monitoring clock, else {"after_dose_s", "since_dose_s",
// "left_s", "reached", "checklist": [{"item", "ok"}...], "ready", "discharged"}.
// `entries` is session.entries, `discharge` the discharge record's {"seq", "by", "clock",
// "t_s"} or null (runtime/chart_entries.hpp).
Json monitoring_state_json(const Session& session, const Json& entries, const Json& discharge,
                           Ms now);

// Why the room cannot discharge now, naming the checklist item ("bp_in_range: ..."), or ""
// (the session itself checks the clock first: Session::do_discharge; `session` has been
// advanced to now).
std::string discharge_refusal(const Session& session, const Json& entries);

} // namespace stillroom
