// The demo's broker: `stillroom demo --broker mqtt://127.0.0.1:PORT` (scripts/demo.sh starts a
// private mosquitto on loopback and passes it) gives a demo room whose room.json has no "mqtt"
// section one for that broker, and one with no "vitals" section the demo's two monitors, so
// the simulated oximeter and cuff (app/vitals_simulator.hpp) reach the tablet. Only in
// memory: the library's files are never changed, and a room.json that has its own sections
// keeps them. Applied at start and to every library the room reloads.
#pragma once

#include "library/room_config.hpp"

#include <string>

namespace stillroom::app {

// The demo monitors' topics: outside the room's own stillroom/ROOM/# tree, as check requires.
inline constexpr const char* kDemoOximeterTopic = "demo/monitors/oxi";
inline constexpr const char* kDemoCuffTopic = "demo/monitors/cuff";

// Adds the sections room.json lacks; false and why (naming the option) for a URL the room's
// own "mqtt.url" rule refuses.
bool add_demo_broker(RoomConfig& room, const std::string& url, std::string* error);

} // namespace stillroom::app
