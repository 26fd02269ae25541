// The one decoder interface: an audio file opened for reading, whichever library decodes it.
// libsndfile (playlists/sndfile.*) opens what it can; FFmpeg (playlists/ffmpeg_source.*) opens
// what libsndfile cannot (AAC/ALAC .m4a, ...). Both promise the same things: `info().frames`
// is exactly the number of frames read() delivers from the start, and seek(N) followed by
// read() delivers the same samples a read from the start would deliver from frame N.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace stillroom {

struct AudioFileInfo {
    std::int64_t frames = 0;
    int sample_rate = 0;
    int channels = 0;
    std::string format; // "FLAC", "WAV", "OGG", "MP3", "AAC", "ALAC" ...
};

class AudioSource {
public:
    virtual ~AudioSource() = default;
    virtual const AudioFileInfo& info() const = 0;
    // Reads up to `frames` interleaved float frames; returns frames read (0 at end or on error).
    // Runs on: whichever thread owns the source (one at a time).
    virtual std::int64_t read(float* interleaved, std::int64_t frames) = 0;
    // Positions at a frame (sample-exact); false on failure.
    virtual bool seek(std::int64_t frame) = 0;
    // The last error the decoding library reported for this file.
    virtual std::string error() const = 0;
};

// Opens a regular file for reading, never blocking (a FIFO or device is refused): libsndfile
// first, FFmpeg for what libsndfile cannot open. nullptr with *error set on failure.
std::unique_ptr<AudioSource> open_audio(const std::filesystem::path& path, std::string* error);

// Opens, reads the header and closes: frames, rate, channels. nullopt with *error on failure.
std::optional<AudioFileInfo> probe_audio(const std::filesystem::path& path, std::string* error);

} // namespace stillroom
