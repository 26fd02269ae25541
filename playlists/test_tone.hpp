// The room's output check: a two-second 440 Hz tone with 100 ms soft edges (no click), as a
// 48 kHz mono float WAV. Played at -30 dB by the tablet's Test tone and `devices test`.
#pragma once

#include <filesystem>
#include <string>

namespace stillroom {

// Writes the tone to `path` unless a file is already there. Returns false (with *error set
// when given) if it cannot be written.
bool write_test_tone(const std::filesystem::path& path, std::string* error = nullptr);

} // namespace stillroom
