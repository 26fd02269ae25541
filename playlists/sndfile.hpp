// The one RAII wrapper of libsndfile (STYLE.md habit 7). No other file calls sf_* directly.
#pragma once

#include "playlists/audio_source.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace stillroom {

enum class AudioFormat { WavFloat, Wav16, Flac16, Ogg, Mp3 };

class SndFile final : public AudioSource {
public:
    // Opens a regular file for reading, never blocking (a FIFO or device is refused: "not a
    // regular file"); nullptr with *error set on failure.
    static std::unique_ptr<SndFile> open_read(const std::filesystem::path& path,
                                              std::string* error);
    // Creates a file for writing; nullptr with *error on failure (e.g. a format this
    // libsndfile cannot write). WAV grows into RF64 past 4 GB.
    static std::unique_ptr<SndFile> open_write(const std::filesystem::path& path, int sample_rate,
                                               int channels, AudioFormat format,
                                               std::string* error);
    ~SndFile() override;
    SndFile(const SndFile&) = delete;
    SndFile& operator=(const SndFile&) = delete;

    const AudioFileInfo& info() const override { return info_; }
    // Reads up to `frames` interleaved frames; returns frames read (0 at end or on error).
    std::int64_t read(float* interleaved, std::int64_t frames) override;
    // Writes interleaved frames; returns frames written.
    std::int64_t write(const float* interleaved, std::int64_t frames);
    // Seeks to a frame; false on failure.
    bool seek(std::int64_t frame) override;
    // The last error libsndfile reported for this file.
    std::string error() const override;

private:
    SndFile() = default;
    void* handle_ = nullptr; // SNDFILE*
    AudioFileInfo info_;
};

} // namespace stillroom
