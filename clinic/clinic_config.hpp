// clinic.json: the clinic overview's settings (DESIGN.md): the same "mqtt" and "control"
// sections as room.json, where the rooms publish, and when an alert is raised.
#pragma once

#include "engine/time.hpp"
#include "library/room_config.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace stillroom {

struct ClinicConfig {
    std::string clinic; // id: letters, digits, '-', '_'
    std::string name;
    MqttConfig mqtt;
    ControlConfig control;
    // Every room's BASE: the overview subscribes to ROOMS/status and ROOMS/state.
    std::string rooms_topic = "stillroom/+";
    Ms reminder_overdue{5 * 60'000};
    std::size_t max_rooms = 200; // "max_rooms": the most rooms the overview keeps
    std::filesystem::path dir;   // where clinic.json is (relative paths start here)
};

std::optional<ClinicConfig> load_clinic_config(const Json& json, Problems& problems);
std::optional<ClinicConfig> load_clinic_config_file(const std::filesystem::path& path,
                                                    Problems& problems);

} // namespace stillroom
