// room.json "vitals": the room's monitors on MQTT (sources, their topics and payload
// formats) and how long a silent source may stay silent.
#pragma once

#include "engine/json_reader.hpp"
#include "engine/time.hpp"
#include "engine/vitals_decode.hpp"

#include <optional>
#include <string>
#include <vector>

namespace stillroom {

struct VitalsSourceConfig {
    std::string id;
    std::string topic;
    VitalsFormat format = VitalsFormat::JsonFields;
    VitalsMapping mapping; // json: fields; number: field
};

struct VitalsConfig {
    std::vector<VitalsSourceConfig> sources;
    Ms stale_after{std::chrono::seconds{10}};
    Ms sustain{std::chrono::seconds{10}}; // a continuous breach this long raises an alert
};

// Reads the section; every problem names its JSON path.
std::optional<VitalsConfig> read_vitals(ObjectReader& v);

} // namespace stillroom
