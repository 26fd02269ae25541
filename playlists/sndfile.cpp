// libsndfile, wrapped once.
#include "playlists/sndfile.hpp"

#include "engine/library_path.hpp"

#include <sndfile.h>

namespace stillroom {

namespace {

// SF_FORMAT_MPEG and SF_FORMAT_MPEG_LAYER_III are enum values (libsndfile >= 1.1), not macros.
constexpr int kFormatMpeg = 0x230000;
constexpr int kFormatMpegLayer3 = 0x0082;

std::string major_format_name(int format) {
    switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV:
        return "WAV";
    case SF_FORMAT_WAVEX:
        return "WAV";
    case SF_FORMAT_AIFF:
        return "AIFF";
    case SF_FORMAT_FLAC:
        return "FLAC";
    case SF_FORMAT_OGG:
        return (format & SF_FORMAT_SUBMASK) == SF_FORMAT_OPUS ? "OPUS" : "OGG";
    case kFormatMpeg:
        return "MP3";
    default:
        return "other";
    }
}

} // namespace

std::unique_ptr<SndFile> SndFile::open_read(const std::filesystem::path& path, std::string* error) {
    SF_INFO info{};
    // Opened without blocking and only if it is a regular file: a FIFO named as a track
    // would otherwise hang this thread (and a request) until someone writes to it.
    const int fd = open_regular_file(path, error);
    if (fd < 0) return nullptr;
    SNDFILE* handle = sf_open_fd(fd, SFM_READ, &info, SF_TRUE); // closes fd, also on failure
    if (!handle) {
        if (error) *error = sf_strerror(nullptr);
        return nullptr;
    }
    std::unique_ptr<SndFile> f(new SndFile());
    f->handle_ = handle;
    f->info_.frames = info.frames;
    f->info_.sample_rate = info.samplerate;
    f->info_.channels = info.channels;
    f->info_.format = major_format_name(info.format);
    if (info.samplerate <= 0 || info.channels <= 0 || info.channels > 32) {
        if (error)
            *error = "unsupported header (rate " + std::to_string(info.samplerate) + ", channels " +
                     std::to_string(info.channels) + ")";
        return nullptr;
    }
    return f;
}

std::unique_ptr<SndFile> SndFile::open_write(const std::filesystem::path& path, int sample_rate,
                                             int channels, AudioFormat format, std::string* error) {
    SF_INFO info{};
    info.samplerate = sample_rate;
    info.channels = channels;
    bool wav = false;
    switch (format) {
    case AudioFormat::WavFloat:
        info.format = SF_FORMAT_RF64 | SF_FORMAT_FLOAT, wav = true;
        break;
    case AudioFormat::Wav16:
        info.format = SF_FORMAT_RF64 | SF_FORMAT_PCM_16, wav = true;
        break;
    case AudioFormat::Flac16:
        info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
        break;
    case AudioFormat::Ogg:
        info.format = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
        break;
    case AudioFormat::Mp3:
        info.format = kFormatMpeg | kFormatMpegLayer3;
        break;
    }
    SNDFILE* handle = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!handle) {
        if (error) *error = sf_strerror(nullptr);
        return nullptr;
    }
    // Plain WAV while it fits, RF64 only past 4 GB.
    if (wav) sf_command(handle, SFC_RF64_AUTO_DOWNGRADE, nullptr, SF_TRUE);
    // Integer formats: a float past full scale clips instead of wrapping round.
    if (format == AudioFormat::Wav16 || format == AudioFormat::Flac16)
        sf_command(handle, SFC_SET_CLIPPING, nullptr, SF_TRUE);
    std::unique_ptr<SndFile> f(new SndFile());
    f->handle_ = handle;
    f->info_.sample_rate = sample_rate;
    f->info_.channels = channels;
    f->info_.format = wav                             ? "WAV"
                      : format == AudioFormat::Flac16 ? "FLAC"
                      : format == AudioFormat::Ogg    ? "OGG"
                                                      : "MP3";
    return f;
}

std::int64_t SndFile::write(const float* interleaved, std::int64_t frames) {
    const sf_count_t n = sf_writef_float(static_cast<SNDFILE*>(handle_), interleaved, frames);
    return n < 0 ? 0 : n;
}

SndFile::~SndFile() {
    if (handle_) sf_close(static_cast<SNDFILE*>(handle_));
}

std::int64_t SndFile::read(float* interleaved, std::int64_t frames) {
    const sf_count_t n = sf_readf_float(static_cast<SNDFILE*>(handle_), interleaved, frames);
    return n < 0 ? 0 : n;
}

bool SndFile::seek(std::int64_t frame) {
    return sf_seek(static_cast<SNDFILE*>(handle_), frame, SEEK_SET) >= 0;
}

std::string SndFile::error() const {
    return sf_strerror(static_cast<SNDFILE*>(handle_));
}

} // namespace stillroom
