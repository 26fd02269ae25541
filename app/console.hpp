// A line-based console for the room: "dose", "comfort off", "volume -18", "extend 300",
// "start im-ketamine", "state". For the demo and for headless operation.
#pragma once

#include "runtime/room.hpp"

#include <istream>
#include <ostream>
#include <string>

namespace stillroom {

// Executes one console line against the room and writes the answer. Never throws.
void run_console_line(Room& room, const std::string& line, std::ostream& out);

// Reads lines until end of input. Runs on: its own thread.
void run_console(Room& room, std::istream& in, std::ostream& out);

} // namespace stillroom
