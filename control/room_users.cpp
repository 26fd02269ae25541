// PINs in room.json over the API.
#include "control/room_users.hpp"

#include "control/auth.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace stillroom {

namespace {

constexpr const char* kKeep = "(set)";

struct UserPin {
    std::size_t index = 0;
    std::string name;
    std::string plain; // a new PIN, or empty
    std::string hash;  // the kept hash, or empty
};

std::string user_path(std::size_t i) {
    return "control.users[" + std::to_string(i) + "]";
}

// control.min_pin_digits of a room.json body (4 when absent or not a number: the room
// loader names a wrong value).
int min_pin_digits_of(const Json& room) {
    if (!room.is_object() || !room.contains("control") || !room["control"].is_object()) return 4;
    const Json& c = room["control"];
    if (!c.contains("min_pin_digits") || !c["min_pin_digits"].is_number_integer()) return 4;
    return std::clamp(c["min_pin_digits"].get<int>(), 4, 12);
}

} // namespace

bool leaves_a_clinic_user(const Json& body, Problems& problems) {
    if (body.is_object() && body.contains("control") && body["control"].is_object() &&
        body["control"].contains("users") && body["control"]["users"].is_array())
        for (const auto& u : body["control"]["users"])
            if (u.is_object() && u.value("role", Json()) == "clinic") return true;
    problems.error("control.users", "no user would have the clinic role, and then nobody could "
                                    "change users and PINs again: keep at least one clinic user");
    return false;
}

bool prepare_room_users(Json& body, const Json& current, Problems& problems) {
    const auto errors_before = problems.error_count();
    if (!body.is_object() || !body.contains("control") || !body["control"].is_object()) return true;
    Json& control = body["control"];
    if (!control.contains("users") || !control["users"].is_array()) return true;
    const Json* current_users = nullptr;
    if (current.is_object() && current.contains("control") && current["control"].is_object() &&
        current["control"].contains("users") && current["control"]["users"].is_array())
        current_users = &current["control"]["users"];

    const int min_digits = min_pin_digits_of(body);
    const bool raised = min_digits > min_pin_digits_of(current);
    std::vector<UserPin> pins;
    Json& users = control["users"];
    for (std::size_t i = 0; i < users.size(); ++i) {
        Json& u = users[i];
        if (!u.is_object()) continue; // the room loader names it
        UserPin up{i, u.value("name", ""), {}, {}};
        const std::string who = up.name.empty() ? user_path(i) : "user \"" + up.name + "\"";
        if (u.contains("pin")) {
            if (!u["pin"].is_string() || !is_valid_pin(u["pin"].get<std::string>()) ||
                u["pin"].get<std::string>().size() < static_cast<std::size_t>(min_digits)) {
                problems.error(user_path(i) + ".pin", who + ": a PIN is " +
                                                          std::to_string(min_digits) +
                                                          " to 12 digits (control.min_pin_digits)");
                continue;
            }
            if (u.contains("pin_hash") && u["pin_hash"] != kKeep) {
                problems.error(user_path(i), who + ": give either pin or pin_hash, not both");
                continue;
            }
            up.plain = u["pin"].get<std::string>();
            u.erase("pin");
        } else if (raised && u.contains("pin_hash")) {
            // A kept PIN may be shorter than the new minimum, and would then no longer log in.
            problems.error(user_path(i) + ".pin",
                           who + ": control.min_pin_digits is now " + std::to_string(min_digits) +
                               ": give a new PIN of " + std::to_string(min_digits) +
                               " or more digits");
            continue;
        } else if (u.value("pin_hash", "") == kKeep) {
            if (current_users)
                for (const auto& c : *current_users)
                    if (c.is_object() && c.value("name", "") == up.name)
                        up.hash = c.value("pin_hash", "");
            if (up.hash.empty()) {
                problems.error(user_path(i) + ".pin", who + " is new (or renamed): give a pin");
                continue;
            }
            u["pin_hash"] = up.hash;
        } else if (u.contains("pin_hash") && u["pin_hash"].is_string()) {
            up.hash = u["pin_hash"].get<std::string>(); // a hash made with `stillroom hash-pin`
        }
        pins.push_back(std::move(up));
    }
    // Two users with one PIN: the login could not tell them apart (the therapist would log
    // in as the clinic). New PINs are compared with each other and with every kept hash.
    for (std::size_t a = 0; a < pins.size(); ++a) {
        if (pins[a].plain.empty()) continue;
        for (std::size_t b = 0; b < pins.size(); ++b) {
            if (a == b) continue;
            const bool same = !pins[b].plain.empty() ? (b > a && pins[a].plain == pins[b].plain)
                                                     : (!pins[b].hash.empty() &&
                                                        verify_pin(pins[a].plain, pins[b].hash));
            if (same)
                problems.error(user_path(pins[a].index) + ".pin",
                               "users \"" + pins[a].name + "\" and \"" + pins[b].name +
                                   "\" share a PIN; each user needs their own");
        }
    }
    if (problems.error_count() != errors_before) return false;
    for (const auto& up : pins)
        if (!up.plain.empty()) users[up.index]["pin_hash"] = hash_pin(up.plain);
    return true;
}

} // namespace stillroom
