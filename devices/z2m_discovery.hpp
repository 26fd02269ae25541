// Zigbee2MQTT discovery: turns the bridge's `bridge/devices` list into room.json light
// entries (one per light endpoint) with the capabilities each light's `exposes` declares,
// and finds which devices can be told how to come back after a power cut.
#pragma once

#include "engine/json_reader.hpp"
#include "engine/problems.hpp"

#include <string>
#include <vector>

namespace stillroom {

// Light entries for room.json; devices that are not lights are skipped. A device exposing
// several lights (endpoints "l1".."l5", "front"/"back") gives one entry per endpoint, with
// "endpoint" set so the encoder uses the suffixed keys. Problems with the payload (not an
// array, a device without a name) are reported, never thrown.
Json lights_from_z2m_devices(const Json& devices, const std::string& base_topic,
                             Problems& problems);

// One light device's power_on_behavior setting (or why it has none).
struct PowerOnTarget {
    std::string friendly_name;
    std::string topic;                   // base/friendly_name
    std::vector<std::string> properties; // "power_on_behavior" or "power_on_behavior_l1", ...
    std::vector<std::string> values;     // what the device accepts (e.g. off, on, toggle, previous)
};

// Every light device of the list: those exposing a settable power_on_behavior, and the
// friendly names of those that do not (`cannot`).
std::vector<PowerOnTarget> z2m_power_on_targets(const Json& devices, const std::string& base_topic,
                                                std::vector<std::string>& cannot,
                                                Problems& problems);

} // namespace stillroom
