// Which library opens a file: libsndfile first, FFmpeg for the rest.
#include "playlists/audio_source.hpp"

#include "playlists/ffmpeg_source.hpp"
#include "playlists/sndfile.hpp"

namespace stillroom {

std::unique_ptr<AudioSource> open_audio(const std::filesystem::path& path, std::string* error) {
    std::string sndfile_error;
    if (auto f = SndFile::open_read(path, &sndfile_error)) return f;
    // A file libsndfile could not even open as a regular file is not tried again.
    if (sndfile_error == "not a regular file") {
        if (error) *error = sndfile_error;
        return nullptr;
    }
    std::string ffmpeg_error;
    if (auto f = FfmpegSource::open(path, &ffmpeg_error)) return f;
    if (error)
        *error = ffmpeg_error.empty() || ffmpeg_error == kFfmpegUnknownFormat ? sndfile_error
                                                                              : ffmpeg_error;
    return nullptr;
}

std::optional<AudioFileInfo> probe_audio(const std::filesystem::path& path, std::string* error) {
    auto f = open_audio(path, error);
    if (!f) return std::nullopt;
    if (f->info().frames <= 0) {
        if (error) *error = "contains no audio";
        return std::nullopt;
    }
    return f->info();
}

} // namespace stillroom
