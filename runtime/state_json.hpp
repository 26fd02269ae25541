// The session part of GET /api/v1/state and of the retained MQTT state, as JSON.
#pragma once

#include "engine/desired_state.hpp"
#include "engine/json_reader.hpp"
#include "engine/session.hpp"

namespace stillroom {

// Seconds are numbers; absent things are null. Stable field names (DESIGN.md).
Json session_state_json(const Session& session, const DesiredState& state);
// Every vitals reading of the session: time since start and dose, values, alert flags.
Json vitals_json(const Session& session);
Json vitals_alert_json(const VitalsAlert& alert);

} // namespace stillroom
