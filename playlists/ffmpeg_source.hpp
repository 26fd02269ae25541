// FFmpeg (libavformat, libavcodec, libswresample), wrapped once (STYLE.md habit 7): the
// decoder for what libsndfile cannot open: AAC and ALAC in .m4a, and whatever else the
// allowed demuxers read. No other file calls av_* or swr_* directly.
//
// Exact length: FFmpeg containers do not always say how many frames decode (an MP3 without
// a Xing header, AAC priming and padding), so the length is counted by decoding the file
// once (remembered per path, size and modification time); when the container says the audio
// ends a little earlier (an MP4 edit list cutting AAC's end padding), it ends there. Exact seek: a
// seek forward decodes and drops up to the frame; a seek backward opens the file again. Both are
// what a read from the start would deliver, sample for sample.
#pragma once

#include "playlists/audio_source.hpp"

#include <vector>

namespace stillroom {

// The error open() gives when no allowed demuxer recognises the file.
inline constexpr const char* kFfmpegUnknownFormat = "not a format FFmpeg reads here";

class FfmpegSource final : public AudioSource {
public:
    // Opens a regular file without blocking; only local demuxers of audio containers are
    // allowed (no playlists or protocols: a file cannot make FFmpeg open another).
    static std::unique_ptr<FfmpegSource> open(const std::filesystem::path& path,
                                              std::string* error);
    ~FfmpegSource() override;
    FfmpegSource(const FfmpegSource&) = delete;
    FfmpegSource& operator=(const FfmpegSource&) = delete;

    const AudioFileInfo& info() const override { return info_; }
    std::int64_t read(float* interleaved, std::int64_t frames) override;
    bool seek(std::int64_t frame) override;
    std::string error() const override { return error_; }

private:
    struct Contexts;
    FfmpegSource() = default;
    bool start(std::string* error); // (re)opens the file at frame 0
    bool decode_next();             // fills pending_; false at the end
    std::int64_t count_frames();    // decodes everything; -1 on a read error
    std::filesystem::path path_;
    std::unique_ptr<Contexts> ctx_;
    AudioFileInfo info_;
    std::vector<float> pending_;        // decoded, converted, not yet read
    std::size_t pending_pos_ = 0;       // in samples
    std::int64_t position_ = 0;         // frames delivered since frame 0
    std::int64_t container_frames_ = 0; // the stream's duration as the container says it
    bool flushed_ = false;              // the decoder was told the input ended
    bool at_end_ = false;
    std::string error_;
};

} // namespace stillroom
