// How the room's API sorts requests for the HTTP guard (control/http_guard.hpp): the
// therapist's session commands first, then anything with a valid token or a known device
// cookie, strangers last; event streams by role, each role with its own stream workers.
#pragma once

#include "control/auth.hpp"
#include "control/http_guard.hpp"

namespace stillroom {

// Stream workers per role in the guard (group = role): the StreamRegistry's streams per role
// plus a few for streams that are ending.
std::vector<int> stream_groups_by_role();
int stream_group(Role role);

// True for the session and audio commands a therapist's tap sends (POST /api/v1/session/...,
// /api/v1/audio/volume, /api/v1/audio/skip, /api/v1/audio/depth).
bool is_session_command(std::string_view method, std::string_view target);

// The room API's classifier. `events_path` is where ?token= is accepted.
RequestClassifier api_request_classifier(Auth& auth, std::string events_path);

} // namespace stillroom
