// A library on disk with just room.json and one session template "s", loaded: the room
// runtime's tests need a real folder, not a catalogue made in code.
#pragma once

#include "library/library.hpp"

#include <filesystem>
#include <fstream>
#include <string>

namespace stillroom::test {

inline Library write_small_library(const std::filesystem::path& dir,
                                   const std::string& session_json) {
    std::filesystem::create_directories(dir / "sessions");
    std::ofstream(dir / "room.json") << R"({"room":"r"})";
    std::ofstream(dir / "sessions/s.json") << session_json;
    Problems problems;
    return load_library(dir, problems);
}

} // namespace stillroom::test
