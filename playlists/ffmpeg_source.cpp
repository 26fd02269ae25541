// FFmpeg, wrapped once: demux, decode, convert to interleaved float at the file's own rate
// (the decoder resamples to the device rate with libsoxr, as for every other file).
#include "playlists/ffmpeg_source.hpp"

#include "engine/library_path.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mathematics.h>
#include <libavutil/mem.h>
#include <libswresample/swresample.h>
}

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <map>
#include <mutex>

#include <sys/stat.h>
#include <unistd.h>

namespace stillroom {

namespace {

// Demuxers of audio files only: no playlists (hls, concat), no images, no network.
constexpr const char* kDemuxers = "mov,mp4,m4a,3gp,3g2,mj2,ogg,mp3,aac,flac,wav,matroska,webm,"
                                  "aiff,caf,wv,ape,asf,w64";
constexpr int kIoBufferBytes = 64 * 1024;
constexpr int kMaxChannels = 32;
constexpr std::int64_t kMaxPaddingFrames = 8192;

std::string av_error_text(int rc) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(rc, buf, sizeof buf);
    return buf;
}

// Frames counted by decoding, per file version (path, size, modification time).
struct LengthCache {
    std::mutex mutex;
    std::map<std::string, std::int64_t> frames;
};

LengthCache& length_cache() {
    static LengthCache cache;
    return cache;
}

std::string version_key(int fd, const std::filesystem::path& path) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return {};
    return path.string() + '\n' + std::to_string(st.st_size) + '\n' +
           std::to_string(st.st_mtim.tv_sec) + '.' + std::to_string(st.st_mtim.tv_nsec) + '\n' +
           std::to_string(st.st_ino);
}

} // namespace

struct FfmpegSource::Contexts {
    int fd = -1;
    AVIOContext* io = nullptr;
    AVFormatContext* format = nullptr;
    AVCodecContext* codec = nullptr;
    SwrContext* swr = nullptr;
    int swr_format = -1;
    AVPacket* packet = nullptr;
    AVFrame* frame = nullptr;
    int stream = -1;

    Contexts() = default;
    Contexts(const Contexts&) = delete;
    Contexts& operator=(const Contexts&) = delete;
    ~Contexts() {
        swr_free(&swr);
        av_frame_free(&frame);
        av_packet_free(&packet);
        avcodec_free_context(&codec);
        avformat_close_input(&format); // custom I/O: leaves `io` to us
        if (io) {
            av_freep(&io->buffer);
            avio_context_free(&io);
        }
        if (fd >= 0) ::close(fd);
    }

    static int read_fd(void* opaque, std::uint8_t* buf, int size) {
        auto* c = static_cast<Contexts*>(opaque);
        for (;;) {
            const ssize_t n = ::read(c->fd, buf, static_cast<std::size_t>(size));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return AVERROR(errno);
            if (n == 0) return AVERROR_EOF;
            return static_cast<int>(n);
        }
    }

    static std::int64_t seek_fd(void* opaque, std::int64_t offset, int whence) {
        auto* c = static_cast<Contexts*>(opaque);
        if (whence & AVSEEK_SIZE) {
            struct stat st {};
            return ::fstat(c->fd, &st) == 0 ? st.st_size : AVERROR(errno);
        }
        const off_t r = ::lseek(c->fd, offset, whence & ~AVSEEK_FORCE);
        return r < 0 ? AVERROR(errno) : r;
    }
};

std::unique_ptr<FfmpegSource> FfmpegSource::open(const std::filesystem::path& path,
                                                 std::string* error) {
    static std::once_flag quiet;
    // Errors reach the curator through our own messages, not FFmpeg's stderr.
    std::call_once(quiet, [] { av_log_set_level(AV_LOG_QUIET); });
    std::unique_ptr<FfmpegSource> f(new FfmpegSource());
    f->path_ = path;
    if (!f->start(error)) return nullptr;
    const AVCodecContext* codec = f->ctx_->codec;
    f->info_.sample_rate = codec->sample_rate;
    f->info_.channels = codec->ch_layout.nb_channels;
    std::string name = avcodec_get_name(codec->codec_id);
    for (auto& ch : name)
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    f->info_.format = name;
    if (f->info_.sample_rate <= 0 || f->info_.channels <= 0 || f->info_.channels > kMaxChannels) {
        if (error)
            *error = "unsupported stream (rate " + std::to_string(f->info_.sample_rate) +
                     ", channels " + std::to_string(f->info_.channels) + ")";
        return nullptr;
    }
    const std::string key = version_key(f->ctx_->fd, path);
    {
        auto& cache = length_cache();
        std::lock_guard lock(cache.mutex);
        if (auto it = cache.frames.find(key); !key.empty() && it != cache.frames.end())
            f->info_.frames = it->second;
    }
    if (f->info_.frames == 0) {
        f->info_.frames = f->count_frames();
        // The decoder keeps a lossy codec's end padding (AAC: up to a frame); the container
        // may say where the audio ends (MP4's edit list): then it ends there, as in players
        // that honour it. Only ever a cut of at most a few packets.
        const std::int64_t said = f->container_frames_;
        if (said > 0 && said < f->info_.frames && f->info_.frames - said <= kMaxPaddingFrames)
            f->info_.frames = said;
        if (!f->start(error)) return nullptr;
        auto& cache = length_cache();
        std::lock_guard lock(cache.mutex);
        if (cache.frames.size() > 4096) cache.frames.clear(); // bounded
        if (!key.empty()) cache.frames[key] = f->info_.frames;
    }
    return f;
}

FfmpegSource::~FfmpegSource() = default;

bool FfmpegSource::start(std::string* error) {
    ctx_.reset();
    pending_.clear();
    pending_pos_ = 0;
    position_ = 0;
    flushed_ = at_end_ = false;
    auto c = std::make_unique<Contexts>();
    c->fd = open_regular_file(path_, error);
    if (c->fd < 0) return false;
    auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferBytes));
    if (buffer)
        c->io = avio_alloc_context(buffer, kIoBufferBytes, 0, c.get(), &Contexts::read_fd, nullptr,
                                   &Contexts::seek_fd);
    if (!c->io) {
        av_free(buffer);
        if (error) *error = "out of memory";
        return false;
    }
    c->format = avformat_alloc_context();
    if (!c->format) {
        if (error) *error = "out of memory";
        return false;
    }
    c->format->pb = c->io;
    c->format->flags |= AVFMT_FLAG_CUSTOM_IO;
    AVDictionary* options = nullptr;
    av_dict_set(&options, "format_whitelist", kDemuxers, 0);
    av_dict_set(&options, "protocol_whitelist", "none", 0);
    int rc = avformat_open_input(&c->format, "", nullptr, &options); // frees format on failure
    av_dict_free(&options);
    if (rc < 0) {
        if (error) *error = kFfmpegUnknownFormat;
        return false;
    }
    if ((rc = avformat_find_stream_info(c->format, nullptr)) < 0) {
        if (error) *error = "cannot read the stream: " + av_error_text(rc);
        return false;
    }
    const AVCodec* decoder = nullptr;
    c->stream = av_find_best_stream(c->format, AVMEDIA_TYPE_AUDIO, -1, -1, &decoder, 0);
    if (c->stream < 0 || !decoder) {
        if (error) *error = "holds no audio stream this FFmpeg decodes";
        return false;
    }
    c->codec = avcodec_alloc_context3(decoder);
    c->packet = av_packet_alloc();
    c->frame = av_frame_alloc();
    if (!c->codec || !c->packet || !c->frame) {
        if (error) *error = "out of memory";
        return false;
    }
    const AVStream* stream = c->format->streams[c->stream];
    container_frames_ = 0;
    if (stream->duration > 0 && stream->time_base.num > 0 && stream->codecpar->sample_rate > 0)
        container_frames_ = av_rescale_q(stream->duration, stream->time_base,
                                         AVRational{1, stream->codecpar->sample_rate});
    if ((rc = avcodec_parameters_to_context(c->codec, stream->codecpar)) < 0 ||
        (c->codec->pkt_timebase = stream->time_base,
         rc = avcodec_open2(c->codec, decoder, nullptr)) < 0) {
        if (error) *error = "cannot open the " + std::string(decoder->name) + " decoder";
        return false;
    }
    ctx_ = std::move(c);
    return true;
}

bool FfmpegSource::decode_next() {
    pending_.clear();
    pending_pos_ = 0;
    Contexts& c = *ctx_;
    for (;;) {
        int rc = avcodec_receive_frame(c.codec, c.frame);
        if (rc == 0) {
            const AVFrame& fr = *c.frame;
            if (fr.sample_rate != info_.sample_rate || fr.ch_layout.nb_channels != info_.channels) {
                error_ = "the stream changes its rate or channels mid-file";
                av_frame_unref(c.frame);
                at_end_ = true;
                return false;
            }
            if (!c.swr || c.swr_format != fr.format) {
                swr_free(&c.swr);
                AVChannelLayout layout{};
                av_channel_layout_default(&layout, info_.channels);
                if (swr_alloc_set_opts2(&c.swr, &layout, AV_SAMPLE_FMT_FLT, info_.sample_rate,
                                        &layout, static_cast<AVSampleFormat>(fr.format),
                                        info_.sample_rate, 0, nullptr) < 0 ||
                    swr_init(c.swr) < 0) {
                    error_ = "cannot convert the decoded samples";
                    av_frame_unref(c.frame);
                    at_end_ = true;
                    return false;
                }
                c.swr_format = fr.format;
            }
            pending_.resize(static_cast<std::size_t>(fr.nb_samples * info_.channels));
            std::uint8_t* out[1] = {reinterpret_cast<std::uint8_t*>(pending_.data())};
            const int got =
                swr_convert(c.swr, out, fr.nb_samples,
                            const_cast<const std::uint8_t**>(fr.extended_data), fr.nb_samples);
            av_frame_unref(c.frame);
            pending_.resize(static_cast<std::size_t>(std::max(0, got) * info_.channels));
            if (!pending_.empty()) return true;
            continue;
        }
        if (rc == AVERROR_EOF || flushed_) {
            at_end_ = true;
            return false;
        }
        if (rc != AVERROR(EAGAIN)) {
            error_ = "decoding failed: " + av_error_text(rc);
            at_end_ = true;
            return false;
        }
        rc = av_read_frame(c.format, c.packet);
        if (rc == AVERROR_EOF) {
            avcodec_send_packet(c.codec, nullptr); // drain what the decoder still holds
            flushed_ = true;
            continue;
        }
        if (rc < 0) {
            error_ = "reading failed: " + av_error_text(rc);
            at_end_ = true;
            return false;
        }
        if (c.packet->stream_index == c.stream) {
            rc = avcodec_send_packet(c.codec, c.packet);
            // A damaged packet is skipped (the same way in the count as in playback).
            if (rc < 0 && rc != AVERROR_INVALIDDATA && rc != AVERROR(EAGAIN)) {
                av_packet_unref(c.packet);
                error_ = "decoding failed: " + av_error_text(rc);
                at_end_ = true;
                return false;
            }
        }
        av_packet_unref(c.packet);
    }
}

std::int64_t FfmpegSource::count_frames() {
    std::int64_t frames = 0;
    while (decode_next())
        frames += static_cast<std::int64_t>(pending_.size()) / info_.channels;
    return frames;
}

std::int64_t FfmpegSource::read(float* interleaved, std::int64_t frames) {
    if (!ctx_) return 0;
    const auto channels = static_cast<std::size_t>(info_.channels);
    frames = std::min(frames, info_.frames - position_); // never past the counted length
    std::int64_t done = 0;
    while (done < frames) {
        if (pending_pos_ >= pending_.size() && (at_end_ || !decode_next())) break;
        const auto available =
            static_cast<std::int64_t>((pending_.size() - pending_pos_) / channels);
        const auto n = std::min(available, frames - done);
        std::copy_n(pending_.data() + pending_pos_, static_cast<std::size_t>(n) * channels,
                    interleaved + static_cast<std::size_t>(done) * channels);
        pending_pos_ += static_cast<std::size_t>(n) * channels;
        done += n;
    }
    position_ += done;
    return done;
}

bool FfmpegSource::seek(std::int64_t frame) {
    if (frame < 0 || frame > info_.frames) return false;
    if (frame < position_ || !ctx_) {
        std::string why;
        if (!start(&why)) {
            error_ = why;
            return false;
        }
    }
    const auto channels = static_cast<std::size_t>(info_.channels);
    while (position_ < frame) {
        if (pending_pos_ >= pending_.size() && (at_end_ || !decode_next())) return false;
        const auto available =
            static_cast<std::int64_t>((pending_.size() - pending_pos_) / channels);
        const auto n = std::min(available, frame - position_);
        pending_pos_ += static_cast<std::size_t>(n) * channels;
        position_ += n;
    }
    return true;
}

} // namespace stillroom
