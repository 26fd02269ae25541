// Users in a room.json sent over the API (PUT /api/v1/room): PINs arrive in plain text
// ("pin") and are hashed here, before anything is validated or saved; "pin_hash": "(set)"
// keeps a user's current PIN. Plain PINs are never stored, logged or sent back.
#pragma once

#include "engine/json_reader.hpp"
#include "engine/problems.hpp"

namespace stillroom {

// Rewrites body.control.users in place: "pin" becomes "pin_hash", "(set)" becomes the
// current hash of the user with that name in `current` (the room.json on disk). Refuses
// (problems naming the users) a PIN that is not 4 to 12 digits, a user without a PIN,
// and two users sharing a PIN. Returns false when there are problems.
bool prepare_room_users(Json& body, const Json& current, Problems& problems);

} // namespace stillroom
