// The room as `stillroom run` wires it, quiet, for integration tests.
#pragma once

#include "app/room_services.hpp"

namespace stillroom::test {

// Options for a test room: state in `state_dir`, no narration on stdout; `listen` as in
// RoomServicesOptions ("" = room.json, "off" = no tablet API).
inline RoomServicesOptions test_room_options(const std::filesystem::path& state_dir,
                                             std::string listen = "") {
    RoomServicesOptions options;
    options.state_dir = state_dir;
    options.log = nullptr;
    options.listen = std::move(listen);
    return options;
}

} // namespace stillroom::test
