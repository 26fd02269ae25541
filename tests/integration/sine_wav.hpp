// A short quiet sine as a 16-bit WAV (48 kHz stereo): the audio file the API tests' libraries play.
#pragma once

#include "playlists/sndfile.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <vector>

namespace stillroom::test {

inline void write_sine_wav(const std::filesystem::path& path, double seconds) {
    std::filesystem::create_directories(path.parent_path());
    std::string error;
    auto f = SndFile::open_write(path, 48000, 2, AudioFormat::Wav16, &error);
    REQUIRE_MESSAGE(f, path.string() << ": " << error);
    std::vector<float> buf(static_cast<std::size_t>(seconds * 48000) * 2);
    for (std::size_t i = 0; i < buf.size(); ++i)
        buf[i] = 0.1f * static_cast<float>(std::sin(static_cast<double>(i) * 0.01));
    f->write(buf.data(), static_cast<std::int64_t>(buf.size() / 2));
}

} // namespace stillroom::test
