// One layer of a piece breaks mid-piece (docs/depth.md "A layer that breaks"): the piece plays
// on with the layers left, the depth mapping re-spans them with nothing stepping, and the
// broken file is a library fault (AudioEngine::take_layer_faults), not a track failure that
// would move the session to the next track. The decoder is the production one; the broken
// file is a real file behind an AudioSource (the production interface) that stops delivering
// at a chosen frame, as a truncated or unreadable FLAC does.
#include "depth_support.hpp"
#include "temp_dir.hpp"

#include "playlists/audio_engine.hpp"
#include "playlists/decoder.hpp"
#include "playlists/sndfile.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <functional>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Reads the real file until `break_at` frames, then nothing: the decoder sees the file end
// before its header said and fails the voice ("truncated or unreadable").
class BreakingSource final : public AudioSource {
public:
    BreakingSource(std::unique_ptr<AudioSource> inner, std::int64_t break_at)
        : inner_(std::move(inner)), break_at_(break_at) {}
    const AudioFileInfo& info() const override { return inner_->info(); }
    std::int64_t read(float* out, std::int64_t frames) override {
        const std::int64_t n = std::min(frames, std::max<std::int64_t>(0, break_at_ - pos_));
        const std::int64_t got = n > 0 ? inner_->read(out, n) : 0;
        pos_ += got;
        return got;
    }
    bool seek(std::int64_t frame) override {
        pos_ = frame;
        return inner_->seek(frame);
    }
    std::string error() const override { return "read error (test)"; }

private:
    std::unique_ptr<AudioSource> inner_;
    std::int64_t break_at_;
    std::int64_t pos_ = 0;
};

void write_stem(const fs::path& path, double seconds, const std::function<float(std::int64_t)>& f) {
    std::string error;
    auto out = SndFile::open_write(path, 48000, 2, AudioFormat::WavFloat, &error);
    REQUIRE(out);
    const auto frames = static_cast<std::int64_t>(seconds * 48000);
    std::vector<float> buf(static_cast<std::size_t>(frames * 2));
    for (std::int64_t i = 0; i < frames; ++i)
        buf[static_cast<std::size_t>(2 * i)] = buf[static_cast<std::size_t>(2 * i + 1)] = f(i);
    REQUIRE(out->write(buf.data(), frames) == frames);
}

double largest_step(const std::vector<float>& s, std::int64_t from, std::int64_t to) {
    double m = 0;
    for (std::int64_t i = std::max<std::int64_t>(from, 1); i < to; ++i)
        m = std::max(m, static_cast<double>(std::fabs(s[static_cast<std::size_t>(2 * i)] -
                                                      s[static_cast<std::size_t>(2 * i - 2)])));
    return m;
}

double rms_db(const std::vector<float>& s, std::int64_t from, std::int64_t to) {
    double sum = 0;
    for (std::int64_t i = from; i < to; ++i)
        sum += static_cast<double>(s[static_cast<std::size_t>(2 * i)]) *
               s[static_cast<std::size_t>(2 * i)];
    return 10 * std::log10(sum / static_cast<double>(to - from) + 1e-30);
}

struct Played {
    std::vector<float> out;
    std::vector<std::pair<std::string, std::string>> failures;
    std::vector<AudioEngine::LayerFault> layer_faults;
    std::uint64_t underruns = 0;
};

// Plays a three-layer piece of 6 s at `depth`, the layer `broken` (-1: none) failing once
// its decoder reaches `break_at` frames; 5 s of output in blocks of `block` frames (480 as
// live, 4800 as the offline render's larger blocks).
Played play_piece(const fs::path& dir, const std::vector<TrackLayer>& layers, double depth,
                  int broken, std::int64_t break_at, int block = 480) {
    MixerConfig config;
    config.max_volume_db = 0;
    Mixer mixer(config);
    AudioEngineSettings settings{dir, 1, 0.5};
    const std::string broken_file =
        broken >= 0 ? layers[static_cast<std::size_t>(broken)].file : "";
    settings.open = [&](Voice& v) {
        open_voice(v);
        if (v.file == broken_file && v.source)
            v.source = std::make_unique<BreakingSource>(std::move(v.source), break_at);
    };
    AudioEngine audio(settings, mixer, nullptr);
    audio.handle({Ms{0}, SetVolume{0, Ms{0}}}, 0);
    audio.handle({Ms{0}, SetDepth{depth, Ms{0}}}, 0);
    audio.handle({Ms{0}, PlayTrack{"p", 0, layered(layers, Ms{6000}), Ms{0}, Ms{0}}}, 0);
    Played p;
    std::vector<float> buf(static_cast<std::size_t>(2 * block));
    for (std::int64_t done = 0; done < 48000 * 5; done += block) {
        mixer.process(buf.data(), block);
        p.out.insert(p.out.end(), buf.begin(), buf.end());
        audio.service();
        audio.collect();
        for (auto& f : audio.take_failures())
            p.failures.push_back(f);
        for (auto& f : audio.take_layer_faults())
            p.layer_faults.push_back(f);
    }
    p.underruns = mixer.underruns();
    return p;
}

} // namespace

TEST_CASE("layers: a layer that breaks mid-piece leaves the piece playing on the others, "
          "re-spanned, with no click; it is a library fault, not a track failure") {
    // Constant stems (+0.3, -0.3, +0.1): the output is the sum of the weights times the
    // stems, so any weight that jumps shows as a step of a tenth or more; the glide over
    // 500 ms moves it by far less than 0.002 a frame.
    TempDir dir;
    write_stem(dir.path / "c0.wav", 6.0, [](std::int64_t) { return 0.3f; });
    write_stem(dir.path / "c5.wav", 6.0, [](std::int64_t) { return -0.3f; });
    write_stem(dir.path / "c1.wav", 6.0, [](std::int64_t) { return 0.1f; });
    const std::vector<TrackLayer> layers = {{"c0.wav", 0}, {"c5.wav", 0.5}, {"c1.wav", 1}};
    const double h = std::sqrt(0.5);
    struct Row {
        const char* name;
        int broken;
        double depth;
        double before, after; // the output level before the break and once re-spanned
    };
    const Row rows[] = {
        // The only layer heard breaks: the two around it share its depth, equal power.
        {"the middle layer, at its own depth", 1, 0.5, -0.3, 0.3 * h + 0.1 * h},
        // Between the lightest and the middle: the lightest now spans to the deepest.
        {"the middle layer, between it and the lightest", 1, 0.25, 0.3 * h - 0.3 * h,
         0.3 * std::cos(kPi / 4 * 0.5) + 0.1 * std::sin(kPi / 4 * 0.5)},
        // The deepest breaks at depth 1: the middle layer holds above its depth.
        {"the deepest layer, at depth 1", 2, 1.0, 0.1, -0.3},
        // The lightest breaks at depth 0: the middle layer holds below its depth.
        {"the lightest layer, at depth 0", 0, 0.0, 0.3, -0.3},
        // A layer not heard at this depth breaks: nothing moves.
        {"the deepest layer, unheard at depth 0", 2, 0.0, 0.3, 0.3},
    };
    const std::int64_t break_at = 48000 * 2; // the decoder, ~1 s ahead, reaches it near 1 s
    for (const auto& row : rows)
        for (const int block : {480, 4800}) {
            const std::string name = row.name;
            CAPTURE(name);
            CAPTURE(block);
            const Played p = play_piece(dir.path, layers, row.depth, row.broken, break_at, block);
            const std::int64_t end = 48000 * 5;
            CHECK(std::fabs(p.out[2 * 24000] - row.before) < 1e-3);
            // The piece plays to the end of the 5 s at the re-spanned level (not silence).
            CHECK(std::fabs(p.out[2 * (end - 1)] - row.after) < 1e-3);
            const double step = largest_step(p.out, 2400, end); // after the piece's fade-in
            CAPTURE(step);
            CHECK(step < 0.002);
            // The session is not told to move on: the piece still plays.
            CHECK(p.failures.empty());
            REQUIRE(p.layer_faults.size() == 1);
            CHECK(p.layer_faults[0].file == layers[static_cast<std::size_t>(row.broken)].file);
            CHECK(p.layer_faults[0].piece == "c0.wav");
            CHECK(p.layer_faults[0].error.find("truncated") != std::string::npos);
            CHECK(p.underruns == 0);
        }
}

TEST_CASE("layers: through a broken layer the piece's level stays steady (sine stems)") {
    TempDir dir;
    auto sine = [](double hz) {
        return [hz](std::int64_t i) {
            return static_cast<float>(0.3 *
                                      std::sin(2 * kPi * hz * static_cast<double>(i) / 48000));
        };
    };
    write_stem(dir.path / "s0.wav", 6.0, sine(200));
    write_stem(dir.path / "s5.wav", 6.0, sine(500));
    write_stem(dir.path / "s1.wav", 6.0, sine(1250));
    const std::vector<TrackLayer> layers = {{"s0.wav", 0}, {"s5.wav", 0.5}, {"s1.wav", 1}};
    for (const double depth : {0.5, 0.8, 1.0}) {
        CAPTURE(depth);
        const Played p = play_piece(dir.path, layers, depth, 1, 48000 * 2);
        const double before = rms_db(p.out, 9600, 24000);
        // 20 ms windows (whole cycles of every stem) from 0.5 s to the end: within 0.5 dB.
        for (std::int64_t w = 24000; w + 960 <= 48000 * 5; w += 960) {
            const double level = rms_db(p.out, w, w + 960);
            CAPTURE(w);
            CHECK(std::fabs(level - before) < 0.5);
        }
        CHECK(p.layer_faults.size() == 1);
    }
}

TEST_CASE("layers: when every layer of a piece breaks, the piece is a track failure") {
    TempDir dir;
    write_stem(dir.path / "a.wav", 6.0, [](std::int64_t) { return 0.2f; });
    const std::vector<TrackLayer> layers = {{"a.wav", 0}, {"a.wav", 1}};
    // Both layers are the same (broken) file: the last to break leaves nothing playing.
    const Played p = play_piece(dir.path, layers, 0.5, 0, 48000 * 2);
    REQUIRE(p.failures.size() == 1);
    CHECK(p.failures[0].first == "a.wav");
    // The last layer to break glides out over what it holds, like the others: no cut.
    CHECK(largest_step(p.out, 2400, 48000 * 5) < 0.002);
}
