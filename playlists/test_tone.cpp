// The output-check tone.
#include "playlists/test_tone.hpp"

#include "playlists/sndfile.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace stillroom {

bool write_test_tone(const std::filesystem::path& path, std::string* error) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return true;
    std::filesystem::create_directories(path.parent_path(), ec);
    std::string why;
    auto f = SndFile::open_write(path, 48000, 1, AudioFormat::WavFloat, &why);
    if (!f) {
        if (error) *error = why;
        return false;
    }
    std::vector<float> buf(48000 * 2);
    for (std::size_t i = 0; i < buf.size(); ++i) {
        const double edge = std::min(
            {1.0, static_cast<double>(i) / 4800.0, static_cast<double>(buf.size() - i) / 4800.0});
        buf[i] = static_cast<float>(
            0.5 * edge * std::sin(2 * std::numbers::pi * 440.0 * static_cast<double>(i) / 48000.0));
    }
    f->write(buf.data(), static_cast<std::int64_t>(buf.size()));
    return true;
}

} // namespace stillroom
