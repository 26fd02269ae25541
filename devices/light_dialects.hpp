// Each light dialect's own MQTT topics and payloads (DESIGN.md, "MQTT"): Zigbee2MQTT,
// Home Assistant JSON schema, Tasmota and WLED. Pure functions: a light's target in, the
// messages out. Device brightness scales are treated as linear light output.
#pragma once

#include "engine/time.hpp"
#include "library/room_config.hpp"
#include "scenes/colour.hpp"

#include <string>
#include <vector>

namespace stillroom {

struct MqttMessage {
    std::string topic;
    std::string payload;
    int qos = 1;
    bool retain = false;
    bool operator==(const MqttMessage&) const = default;
};

// The longest native transition one command may carry for this light (its dialect's limit,
// shorter for lights with the one-transition-attribute quirk).
Ms max_native_transition(const LightConfig& light);

// Device brightness in its own scale (e.g. 0..254), never 0 for a light that is on.
int device_brightness(double perceived, int scale_max);
// Colour temperature in mireds, clamped to the light's supported range.
int clamp_mired(const LightConfig& light, double kelvin);

// One command to a light: its messages, and where the device is heading once it acts on
// them (the target, except for what a quirk held back for the next command).
struct LightCommand {
    std::vector<MqttMessage> messages;
    LightState heading;
};

// The command that brings `light` from `previous` (what it was last told; none: unknown)
// to `target` over `transition` (0: at once). Attributes that did not change may be left
// out where the device documents why (light_quirks.hpp).
LightCommand encode_light_change(const LightConfig& light,
                                 const std::optional<LightState>& previous,
                                 const LightState& target, Ms transition);
// The full command, as after a restart (nothing known about the device).
std::vector<MqttMessage> encode_light(const LightConfig& light, const LightState& target,
                                      Ms transition);

// Tasmota: the topic for `prefix` (cmnd, tele, stat) from the light's FullTopic.
std::string tasmota_topic(const LightConfig& light, const std::string& prefix,
                          const std::string& command);

// Topics the driver listens to for a light's availability ("" if none).
std::string availability_topic(const LightConfig& light);
// Reads an availability payload: "online"/"offline" strings or {"state":"online"} JSON
// (Zigbee2MQTT 2.0), Tasmota "Online"/"Offline". nullopt when it is neither.
std::optional<bool> parse_availability(const std::string& payload);

} // namespace stillroom
