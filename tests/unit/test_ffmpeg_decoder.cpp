// FFmpeg behind the one decoder interface: files made here by Debian's ffmpeg (AAC and ALAC
// in .m4a, Opus, Vorbis, MP3) keep the promises of playlists/audio_source.hpp: the exact
// length, sample-exact seeks, resume at the place, and a clear refusal of what is not audio.
#include "playlists/audio_source.hpp"
#include "playlists/decoder.hpp"
#include "playlists/ffmpeg_source.hpp"
#include "playlists/loudness.hpp"
#include "playlists/sndfile.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <vector>

#include <sys/stat.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

// Two seconds of a 440 Hz sine (amplitude 1/8) at 44.1 kHz, stereo, encoded by ffmpeg.
void make_with_ffmpeg(const fs::path& out, const std::string& codec_args) {
    const std::string cmd = "ffmpeg -nostdin -y -loglevel error -f lavfi -i "
                            "sine=frequency=440:sample_rate=44100:duration=2 -ac 2 " +
                            codec_args + " '" + out.string() + "'";
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, cmd);
}

std::vector<float> read_all(AudioSource& f) {
    const auto ch = static_cast<std::size_t>(f.info().channels);
    std::vector<float> all, buf(4096 * ch);
    for (std::int64_t n; (n = f.read(buf.data(), 4096)) > 0;)
        all.insert(all.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n * ch));
    return all;
}

struct Row {
    const char* name;
    const char* codec_args;
    const char* ext;
    bool by_ffmpeg;     // libsndfile cannot open it
    const char* format; // AudioFileInfo::format
    int rate;
    std::int64_t exact_frames; // -1: the codec adds its own padding (lossy)
};

const Row kRows[] = {
    {"AAC in .m4a", "-c:a aac -b:a 128k", "m4a", true, "AAC", 44100, 88200},
    {"ALAC in .m4a", "-c:a alac", "m4a", true, "ALAC", 44100, 88200},
    {"Opus", "-c:a libopus -b:a 96k", "opus", false, "OPUS", 48000, -1},
    {"Vorbis", "-c:a libvorbis -q:a 4", "ogg", false, "OGG", 44100, 88200},
    {"MP3", "-c:a libmp3lame -b:a 192k", "mp3", false, "MP3", 44100, -1},
};

} // namespace

TEST_CASE("FFmpeg: every curator format opens, by libsndfile or FFmpeg, at its exact length") {
    TempDir dir;
    for (const auto& row : kRows) {
        CAPTURE(row.name);
        const fs::path file = dir.path / (std::string("t.") + row.ext);
        make_with_ffmpeg(file, row.codec_args);
        std::string error;
        auto f = open_audio(file, &error);
        REQUIRE_MESSAGE(f, error);
        CHECK(f->info().format == row.format);
        CHECK(f->info().sample_rate == row.rate);
        CHECK(f->info().channels == 2);
        // Only the FFmpeg wrapper opens what libsndfile cannot.
        std::string sndfile_error;
        CHECK(static_cast<bool>(SndFile::open_read(file, &sndfile_error)) == !row.by_ffmpeg);
        CHECK(static_cast<bool>(dynamic_cast<FfmpegSource*>(f.get())) == row.by_ffmpeg);
        // The length said is the length delivered, to the frame.
        const auto all = read_all(*f);
        const auto delivered = static_cast<std::int64_t>(all.size() / 2);
        CHECK(delivered == f->info().frames);
        if (row.exact_frames >= 0) CHECK(f->info().frames == row.exact_frames);
        const std::int64_t two_s = 2LL * row.rate;
        CHECK(std::llabs(f->info().frames - two_s) <= 2048); // codec padding at most
        // It is the tone: RMS of a 1/8 sine is 0.0884 (lossy codecs within 5%).
        double sum = 0;
        const std::int64_t from = row.rate / 2, to = row.rate * 3 / 2;
        for (std::int64_t i = from; i < to; ++i)
            sum += static_cast<double>(all[static_cast<std::size_t>(2 * i)]) *
                   all[static_cast<std::size_t>(2 * i)];
        CHECK(std::sqrt(sum / static_cast<double>(to - from)) ==
              doctest::Approx(0.125 / std::sqrt(2.0)).epsilon(0.05));
        // A second open gives the same length (FFmpeg: from the remembered count).
        auto again = open_audio(file, &error);
        REQUIRE(again);
        CHECK(again->info().frames == f->info().frames);
    }
}

TEST_CASE("FFmpeg: a seek lands on the exact frame, forwards and backwards") {
    TempDir dir;
    for (const auto& row : kRows) {
        if (!row.by_ffmpeg) continue;
        CAPTURE(row.name);
        const fs::path file = dir.path / (std::string("s.") + row.ext);
        make_with_ffmpeg(file, row.codec_args);
        std::string error;
        auto linear = open_audio(file, &error);
        REQUIRE(linear);
        const auto all = read_all(*linear);
        const std::int64_t frames = linear->info().frames;
        auto f = open_audio(file, &error);
        REQUIRE(f);
        // Inside the first packet, on and beside packet edges (AAC and ALAC: 1024 and 4096),
        // the middle, backwards again, and the last frames.
        const std::int64_t targets[] = {44100, 1, 1023, 1024, 4097, frames / 2, 0, frames - 100};
        std::vector<float> buf(2 * 256);
        for (std::int64_t at : targets) {
            CAPTURE(at);
            REQUIRE(f->seek(at));
            const std::int64_t want = std::min<std::int64_t>(256, frames - at);
            REQUIRE(f->read(buf.data(), 256) == want);
            bool same = true;
            for (std::int64_t i = 0; i < 2 * want; ++i)
                same = same && buf[static_cast<std::size_t>(i)] ==
                                   all[static_cast<std::size_t>(2 * at + i)];
            CHECK(same);
        }
        CHECK_FALSE(f->seek(frames + 1));
    }
}

TEST_CASE("FFmpeg: a voice resumed mid-track plays on at the device rate, exactly as the same "
          "samples from a WAV would") {
    TempDir dir;
    const fs::path m4a = dir.path / "r.m4a";
    make_with_ffmpeg(m4a, "-c:a alac");
    // The same samples as a float WAV: the path libsndfile has always taken.
    std::string error;
    auto src = open_audio(m4a, &error);
    REQUIRE(src);
    const auto all = read_all(*src);
    const fs::path wav = dir.path / "r.wav";
    {
        auto w = SndFile::open_write(wav, 44100, 2, AudioFormat::WavFloat, &error);
        REQUIRE(w);
        REQUIRE(w->write(all.data(), static_cast<std::int64_t>(all.size() / 2)) ==
                static_cast<std::int64_t>(all.size() / 2));
    }
    auto play = [](const fs::path& path, std::int64_t start_ms) {
        Voice v(48000 * 4);
        v.file = path.filename().string();
        v.path = path;
        v.start_ms = start_ms;
        v.device_rate = 48000;
        open_voice(v);
        REQUIRE_MESSAGE(!v.failed.load(), v.error);
        while (!v.decoded_all.load())
            if (fill_voice(v, v.ring.capacity()) == 0 && !v.decoded_all.load()) break;
        CHECK_FALSE(v.failed.load());
        std::vector<float> out(static_cast<std::size_t>(2 * v.ring.readable()));
        v.ring.read(out.data(), v.ring.readable());
        return out;
    };
    for (std::int64_t start_ms : {0, 700, 1234}) {
        CAPTURE(start_ms);
        const auto from_m4a = play(m4a, start_ms);
        const auto from_wav = play(wav, start_ms);
        const std::int64_t source_left = 88200 - start_ms * 44100 / 1000;
        CHECK(static_cast<std::int64_t>(from_m4a.size() / 2) ==
              std::llround(static_cast<double>(source_left) * 48000 / 44100));
        CHECK(from_m4a == from_wav);
    }
}

TEST_CASE("FFmpeg: what is not audio is refused with a reason; nothing else is opened") {
    TempDir dir;
    make_with_ffmpeg(dir.path / "good.m4a", "-c:a aac");
    std::ifstream in(dir.path / "good.m4a", std::ios::binary);
    const std::string good((std::istreambuf_iterator<char>(in)), {});
    struct Case {
        const char* name;
        std::string bytes;
        bool may_open; // a damaged real file may still open (then it keeps its promise)
    };
    const Case cases[] = {
        {"empty", "", false},
        {"random bytes", std::string(4000, '\x5a'), false},
        // A playlist or concat file named .m4a must not make FFmpeg open other files.
        {"HLS playlist",
         "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://" +
             (dir.path / "good.m4a").string() + "\n#EXT-X-ENDLIST\n",
         false},
        {"ffconcat", "ffconcat version 1.0\nfile '" + (dir.path / "good.m4a").string() + "'\n",
         false},
        {"first half of an m4a", good.substr(0, good.size() / 2), true},
        {"last half of an m4a", good.substr(good.size() / 2), true},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        const fs::path p = dir.path / "bad.m4a";
        std::ofstream(p, std::ios::binary | std::ios::trunc) << c.bytes;
        std::string error;
        auto f = open_audio(p, &error);
        if (!f) {
            CHECK_FALSE(error.empty());
            CHECK_FALSE(probe_audio(p, &error).has_value());
            continue;
        }
        CHECK(c.may_open);
        // If a damaged file opens at all, it keeps the promise: what it says, it delivers.
        const auto all = read_all(*f);
        CHECK(static_cast<std::int64_t>(all.size()) / f->info().channels == f->info().frames);
    }
    // A FIFO named .m4a: refused at once, never waited on.
    const fs::path fifo = dir.path / "fifo.m4a";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    std::string error;
    CHECK(open_audio(fifo, &error) == nullptr);
    CHECK(error == "not a regular file");
}

TEST_CASE("FFmpeg: probe and loudness read an .m4a as they read the same sound in FLAC") {
    TempDir dir;
    make_with_ffmpeg(dir.path / "a.m4a", "-c:a alac");
    make_with_ffmpeg(dir.path / "a.flac", "-c:a flac");
    std::string error;
    auto info = probe_audio(dir.path / "a.m4a", &error);
    REQUIRE_MESSAGE(info, error);
    CHECK(info->frames == 88200);
    CHECK(info->format == "ALAC");
    auto m4a = measure_loudness(dir.path / "a.m4a", &error);
    auto flac = measure_loudness(dir.path / "a.flac", &error);
    REQUIRE(m4a);
    REQUIRE(flac);
    CHECK(m4a->integrated_lufs == doctest::Approx(flac->integrated_lufs).epsilon(0.001));
    CHECK(m4a->duration_s == doctest::Approx(2.0));
}
