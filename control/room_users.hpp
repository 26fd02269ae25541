// Users in a room.json sent over the API (PUT /api/v1/room): PINs arrive in plain text
// ("pin") and are hashed here, before anything is validated or saved; "pin_hash": "(set)"
// keeps a user's current PIN. Plain PINs are never stored, logged or sent back.
#pragma once

#include "engine/json_reader.hpp"
#include "engine/problems.hpp"

namespace stillroom {

// Rewrites body.control.users in place: "pin" becomes "pin_hash", "(set)" becomes the
// current hash of the user with that name in `current` (the room.json on disk). Refuses
// (problems naming the users) a PIN that is not control.min_pin_digits (default 4) to 12
// digits, a user without a PIN, two users sharing a PIN, and a kept PIN when the save raises
// control.min_pin_digits (every user then needs a new PIN that long). Returns false when
// there are problems.
bool prepare_room_users(Json& body, const Json& current, Problems& problems);

// A save must leave at least one clinic user (control.users), or nobody could change the
// room's users and PINs again over the API. False (a problem naming control.users) if not.
bool leaves_a_clinic_user(const Json& body, Problems& problems);

} // namespace stillroom
