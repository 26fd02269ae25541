// Zigbee2MQTT discovery: turns the bridge's `bridge/devices` list into room.json light
// entries with the capabilities each light's `exposes` declares.
#pragma once

#include "engine/json_reader.hpp"
#include "engine/problems.hpp"

#include <string>
#include <vector>

namespace stillroom {

// Light entries for room.json; devices that are not lights are skipped. Problems with the
// payload (not an array, a device without a name) are reported, never thrown.
Json lights_from_z2m_devices(const Json& devices, const std::string& base_topic, Problems& problems);

} // namespace stillroom
