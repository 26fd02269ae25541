// Home Assistant MQTT discovery for one room: what the room announces (sensors, buttons,
// switches with state, the template select), the ids it announces them under, and what
// the template select shows. Pure functions of the options and the room's state; the MQTT
// bridge (control/mqtt_bridge.hpp) publishes them and handles the commands.
//
// References (Home Assistant's own documentation and source):
//  - discovery topic <prefix>/<component>/[<node_id>/]<object_id>/config, ids of
//    [a-zA-Z0-9_-]: https://www.home-assistant.io/integrations/mqtt/ ("Discovery topic");
//  - the `origin` block {name (required), sw_version, support_url (http/https)}:
//    home-assistant/core homeassistant/components/mqtt/schemas.py (MQTT_ORIGIN_INFO_SCHEMA),
//    added by home-assistant/core PR #98782;
//  - `default_entity_id` ("<domain>.<object_id>", replacing `object_id` from HA 2025.10;
//    `object_id` stops working in 2026.4): home-assistant/core PR #151775,
//    home-assistant/home-assistant.io PR #40749, and the deprecation message HA logs
//    (quoted in home-assistant/addons #4240);
//  - entity ids: home-assistant/core homeassistant/core.py VALID_ENTITY_ID (lowercase
//    letters, digits and single underscores, none leading or trailing);
//  - select: a state that is not one of `options` is refused; "None" means unknown
//    (home-assistant/core homeassistant/components/mqtt/select.py);
//  - switch: `state_on`/`state_off` default to `payload_on`/`payload_off`
//    (homeassistant/components/mqtt/switch.py), so JSON command payloads need them set.
#pragma once

#include "engine/json_reader.hpp"

#include <string>
#include <utility>
#include <vector>

namespace stillroom {

struct HaDiscoveryOptions {
    std::string base_topic; // "stillroom/room-1"
    std::string room_id;    // room.json "room": letters, digits, '-' and '_'
    std::string room_name;
    std::vector<std::pair<std::string, std::string>> templates; // id, name
    std::string sw_version;                                     // this program's version
    std::string support_url; // room.json mqtt.support_url; empty: not announced
};

struct HaMessage {
    std::string topic, payload; // payload "" deletes a retained config
};

// What the template select shows when no session runs and nothing is armed.
inline constexpr const char* kHaNoTemplate = "(none)";

// The select's own topics and the Start button's: under BASE/ha/, handled by the bridge.
std::string ha_template_state_topic(const std::string& base_topic); // BASE/ha/template (retained)
std::string ha_template_set_topic(const std::string& base_topic);   // BASE/ha/template/set
std::string ha_start_topic(const std::string& base_topic);          // BASE/ha/start

// Every discovery config, retained by the caller.
std::vector<HaMessage> ha_discovery_messages(const HaDiscoveryOptions& options);

// Config topics earlier versions announced that this one no longer does (the Comfort and
// Lights-up buttons, now switches; topics whose node id was the room id with '-' turned
// into '_', which another room's id may now own). The bridge subscribes to them and
// removes (empty retained payload) only a config that is this room's: one whose
// availability topic is this room's status topic (ha_config_is_ours).
std::vector<std::string> ha_retired_config_topics(const HaDiscoveryOptions& options);
bool ha_config_is_ours(const std::string& payload, const HaDiscoveryOptions& options);

// The room id as the middle of an entity id: lowercase, '-' and '_' runs as one '_'. Two
// room ids that would give the same slug (room-1, room_1, Room-1) are told apart: every id
// but the canonical form (lowercase words joined by single '-') gets a short hash of the
// exact id appended.
std::string ha_entity_slug(const std::string& room_id);

// What the select shows: the running session's template; else the armed one; else
// kHaNoTemplate. `state` is the room's state JSON.
std::string ha_template_option(const Json& state, const std::string& armed);

} // namespace stillroom
