// Pieces in layers (docs/audio.md "Depth"): the playlist's "layers" are checked; the mixer
// plays them sample-synchronously with equal-power gains between the two layers around the
// depth, keeps the total level steady, ramps depth changes, keeps the layers aligned after a
// seek or a late start, and never allocates on the audio thread. The stems are sines of
// different frequencies made here, so which one is heard is measured, not assumed.
#include "alloc_counter.hpp"
#include "depth_support.hpp"
#include "fixtures.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

#include "playlists/audio_engine.hpp"
#include "playlists/loudness.hpp"
#include "playlists/playlist.hpp"
#include "playlists/render.hpp"
#include "playlists/sndfile.hpp"

#include <cmath>
#include <functional>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

constexpr double kLayerPi = 3.14159265358979323846;

bool write_stem(const fs::path& path, int rate, double seconds,
                const std::function<float(std::int64_t)>& sample) {
    fs::create_directories(path.parent_path());
    std::string error;
    auto f = SndFile::open_write(path, rate, 2, AudioFormat::WavFloat, &error);
    if (!f) return false;
    const auto frames = static_cast<std::int64_t>(seconds * rate);
    std::vector<float> buf(static_cast<std::size_t>(frames * 2));
    for (std::int64_t i = 0; i < frames; ++i)
        buf[static_cast<std::size_t>(2 * i)] = buf[static_cast<std::size_t>(2 * i + 1)] = sample(i);
    return f->write(buf.data(), frames) == frames;
}

std::function<float(std::int64_t)> stem_sine(double hz, double amplitude, int rate = 48000) {
    return [=](std::int64_t i) {
        return static_cast<float>(amplitude *
                                  std::sin(2 * kLayerPi * hz * static_cast<double>(i) / rate));
    };
}

// Amplitude of `hz` in the left channel of frames [from, to) (Goertzel; whole cycles).
double tone_amplitude(const std::vector<float>& s, std::int64_t from, std::int64_t to, double hz) {
    const double w = 2 * kLayerPi * hz / 48000;
    const double coeff = 2 * std::cos(w);
    double s1 = 0, s2 = 0;
    for (std::int64_t i = from; i < to; ++i) {
        const double s0 = s[static_cast<std::size_t>(2 * i)] + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    return 2 * std::sqrt(std::max(power, 0.0)) / static_cast<double>(to - from);
}

double rms_db_of(const std::vector<float>& s, std::int64_t from, std::int64_t to) {
    double sum = 0;
    for (std::int64_t i = from; i < to; ++i)
        sum += static_cast<double>(s[static_cast<std::size_t>(2 * i)]) *
               s[static_cast<std::size_t>(2 * i)];
    return 10 * std::log10(sum / static_cast<double>(to - from));
}

double largest_step(const std::vector<float>& s, std::int64_t from, std::int64_t to) {
    double m = 0;
    for (std::int64_t i = std::max<std::int64_t>(from, 1); i < to; ++i)
        m = std::max(m, static_cast<double>(std::fabs(s[static_cast<std::size_t>(2 * i)] -
                                                      s[static_cast<std::size_t>(2 * i - 2)])));
    return m;
}

// Three stems of 6 s: 200 Hz (depth 0), 500 Hz (depth 0.5), 1250 Hz (depth 1), each 0.3.
std::vector<TrackLayer> write_three_stems(const fs::path& dir) {
    REQUIRE(write_stem(dir / "s0.wav", 48000, 6.0, stem_sine(200, 0.3)));
    REQUIRE(write_stem(dir / "s5.wav", 48000, 6.0, stem_sine(500, 0.3)));
    REQUIRE(write_stem(dir / "s1.wav", 48000, 6.0, stem_sine(1250, 0.3)));
    return {{"s0.wav", 0}, {"s5.wav", 0.5}, {"s1.wav", 1}};
}

Effect at0(EffectBody body) {
    return Effect{Ms{0}, std::move(body)};
}

// Runs the mixer `frames` frames in blocks of 480, servicing the decoder between blocks, and
// appends what it plays to `out`.
void play(Mixer& mixer, AudioEngine& audio, std::int64_t frames, std::vector<float>& out) {
    std::vector<float> block(2 * 480);
    for (std::int64_t done = 0; done < frames; done += 480) {
        mixer.process(block.data(), 480);
        out.insert(out.end(), block.begin(), block.end());
        audio.service();
        audio.collect();
    }
}

} // namespace

TEST_CASE("layers: the playlist's layers are checked, each problem naming its field") {
    TempDir dir;
    REQUIRE(write_stem(dir.path / "a.wav", 48000, 3.0, stem_sine(200, 0.3)));
    REQUIRE(write_stem(dir.path / "b.wav", 48000, 3.0, stem_sine(500, 0.3)));
    REQUIRE(write_stem(dir.path / "short.wav", 48000, 2.9, stem_sine(500, 0.3)));
    // 3 s at 44.1 kHz is 3 s at the room's 48 kHz: the same length.
    REQUIRE(write_stem(dir.path / "b44.wav", 44100, 3.0, stem_sine(500, 0.3, 44100)));
    struct Row {
        const char* name;
        const char* track;
        const char* path; // "" = accepted
        const char* fragment;
    };
    const Row rows[] = {
        {"two layers",
         R"({"layers": [{"file": "a.wav", "depth": 0}, {"file": "b.wav", "depth": 1}]})", "", ""},
        {"another rate, one length at the room's rate",
         R"({"layers": [{"file": "a.wav", "depth": 0}, {"file": "b44.wav", "depth": 0.5}]})", "",
         ""},
        {"depth above 1",
         R"({"layers": [{"file": "a.wav", "depth": 0}, {"file": "b.wav", "depth": 1.2}]})",
         "tracks[0].layers[1].depth", "1.2"},
        {"depth below 0",
         R"({"layers": [{"file": "a.wav", "depth": -0.5}, {"file": "b.wav", "depth": 1}]})",
         "tracks[0].layers[0].depth", "-0.5"},
        {"two layers at one depth",
         R"({"layers": [{"file": "a.wav", "depth": 0.5}, {"file": "b.wav", "depth": 0.5}]})",
         "tracks[0].layers[1].depth", "two layers at one depth"},
        {"different lengths",
         R"({"layers": [{"file": "a.wav", "depth": 0}, {"file": "short.wav", "depth": 1}]})",
         "tracks[0].layers[1].file", "one length"},
        {"a missing layer",
         R"({"layers": [{"file": "a.wav", "depth": 0}, {"file": "gone.wav", "depth": 1}]})",
         "tracks[0].layers[1].file", "cannot be played"},
        {"file and layers",
         R"({"file": "a.wav", "layers": [{"file": "a.wav", "depth": 0}, {"file": "b.wav", "depth": 1}]})",
         "tracks[0].file", "not both"},
        {"one layer", R"({"layers": [{"file": "a.wav", "depth": 0}]})", "tracks[0].layers",
         "2 to 8 layers"},
        {"a layer without depth",
         R"({"layers": [{"file": "a.wav"}, {"file": "b.wav", "depth": 1}]})",
         "tracks[0].layers[0].depth", ""},
        {"an unknown key in a layer",
         R"({"layers": [{"file": "a.wav", "depth": 0, "gain": 2}, {"file": "b.wav", "depth": 1}]})",
         "tracks[0].layers[0].gain", ""},
    };
    for (const auto& row : rows) {
        const std::string name = row.name;
        CAPTURE(name);
        Problems problems("playlists/p.json");
        const std::string text = std::string(R"({"tracks": [)") + row.track + "]}";
        auto p = load_playlist(Json::parse(text), "p", problems);
        if (p) playlist_info(*p, dir.path, problems, nullptr, 48000);
        const std::string report = problems.to_string();
        CAPTURE(report);
        if (std::string(row.path).empty()) {
            CHECK_FALSE(problems.has_errors());
            REQUIRE(p);
            CHECK(p->tracks[0].layers.size() == 2);
        } else {
            CHECK(has_problem(problems, row.path, row.fragment));
        }
    }
}

TEST_CASE("layers: sorted by depth, a length, the loudest layer's normalisation for all, and the "
          "file form round-trips") {
    TempDir dir;
    REQUIRE(write_stem(dir.path / "quiet.wav", 48000, 3.0, stem_sine(300, 0.05)));
    REQUIRE(write_stem(dir.path / "loud.wav", 48000, 3.0, stem_sine(300, 0.5)));
    const Json file = Json::parse(R"({"tracks": [{"title": "Cathedral", "layers": [
        {"file": "loud.wav", "depth": 1}, {"file": "quiet.wav", "depth": 0}]}]})");
    Problems problems("playlists/p.json");
    auto p = load_playlist(file, "p", problems);
    REQUIRE(p);
    LoudnessCache cache(dir.path);
    const PlaylistInfo info = playlist_info(*p, dir.path, problems, &cache, 48000);
    INFO(problems.to_string());
    REQUIRE_FALSE(problems.has_errors());
    const TrackInfo& t = info.tracks.at(0);
    REQUIRE(t.layers.size() == 2);
    CHECK(t.layers[0] == TrackLayer{"quiet.wav", 0});
    CHECK(t.layers[1] == TrackLayer{"loud.wav", 1});
    CHECK(t.file == "quiet.wav");
    CHECK(t.length == Ms{3000});
    std::string error;
    const auto loud = cache.get("loud.wav", &error);
    REQUIRE(loud);
    CHECK(t.gain_db == doctest::Approx(normalisation_gain_db(*loud)));
    // Saved and read back (the curator's PUT, the journal's snapshot) the same.
    Problems again("playlists/p.json");
    auto back = load_playlist(playlist_to_json(*p), "p", again);
    REQUIRE(back);
    CHECK(back->tracks[0].layers == p->tracks[0].layers);
    CHECK(playlist_info_from_json(to_json(info)).tracks[0].layers == t.layers);
}

TEST_CASE("layers: at each depth the two layers around it play with equal-power gains, the total "
          "level steady") {
    TempDir dir;
    const auto stems = write_three_stems(dir.path);
    MixerConfig config;
    config.max_volume_db = 0;
    Mixer mixer(config);
    AudioEngine audio({dir.path, 4, 2}, mixer, nullptr);
    audio.handle(at0(SetVolume{0, Ms{0}}), 0);
    audio.handle(at0(PlayTrack{"p", 0, layered(stems, Ms{6000}), Ms{0}, Ms{0}}), 0);
    struct Row {
        double depth;
        double a200, a500, a1250; // expected amplitudes: 0.3 x the layer's weight
    };
    const double half = 0.3 * std::sqrt(0.5);
    const double sin30 = 0.3 * std::sin(kLayerPi / 2 * 0.6),
                 cos30 = 0.3 * std::cos(kLayerPi / 2 * 0.6);
    const Row rows[] = {
        {0.0, 0.3, 0, 0},
        {0.25, half, half, 0},
        {0.5, 0, 0.3, 0},
        {0.8, 0, cos30, sin30},
        {1.0, 0, 0, 0.3},
        {0.15, 0.3 * std::cos(kLayerPi / 2 * 0.3), 0.3 * std::sin(kLayerPi / 2 * 0.3), 0},
    };
    std::vector<float> out;
    std::int64_t frame = 0;
    std::vector<double> levels;
    for (const auto& row : rows) {
        CAPTURE(row.depth);
        audio.handle(at0(SetDepth{row.depth, Ms{100}}), frame);
        out.clear();
        play(mixer, audio, 24000, out); // 0.5 s: the 100 ms ramp, then 0.3 s steady
        frame += 24000;
        // 0.2 .. 0.5 s: 14400 frames, whole cycles of 200, 500 and 1250 Hz.
        CHECK(tone_amplitude(out, 9600, 24000, 200) == doctest::Approx(row.a200).epsilon(0.01));
        CHECK(tone_amplitude(out, 9600, 24000, 500) == doctest::Approx(row.a500).epsilon(0.01));
        CHECK(tone_amplitude(out, 9600, 24000, 1250) == doctest::Approx(row.a1250).epsilon(0.01));
        levels.push_back(rms_db_of(out, 9600, 24000));
    }
    // The total level is the same at every depth (equal power, stems loudness-matched).
    for (double l : levels) {
        CAPTURE(l);
        CHECK(l == doctest::Approx(levels.front()).epsilon(0.002)); // within ~0.05 dB
    }
    CHECK(mixer.underruns() == 0);
}

TEST_CASE(
    "layers: a depth change is ramped, never a click, and the level stays steady through it") {
    struct Row {
        double from, to;
        Ms ramp;
    };
    // The shortest ramp the engine can send (0: the mixer's 10 ms minimum) and longer ones.
    const Row rows[] = {{0, 1, Ms{0}}, {1, 0, Ms{0}}, {0, 1, Ms{2000}}, {0.2, 0.7, Ms{300}}};
    for (const auto& row : rows) {
        CAPTURE(row.from);
        CAPTURE(row.to);
        CAPTURE(row.ramp.count());
        {
            // Constant stems (+0.3, -0.3, +0.1): the output moves only as the gains move, so
            // a gain that jumps shows as a step of up to 0.6; a ramp of 10 ms moves it at most
            // 0.3 x (pi/2) / 160 x sqrt(2) per frame (the S-curve's steepest), about 0.004.
            TempDir dir;
            REQUIRE(write_stem(dir.path / "c0.wav", 48000, 4.0, [](std::int64_t) { return 0.3f; }));
            REQUIRE(
                write_stem(dir.path / "c5.wav", 48000, 4.0, [](std::int64_t) { return -0.3f; }));
            REQUIRE(write_stem(dir.path / "c1.wav", 48000, 4.0, [](std::int64_t) { return 0.1f; }));
            const std::vector<TrackLayer> constant = {
                {"c0.wav", 0}, {"c5.wav", 0.5}, {"c1.wav", 1}};
            MixerConfig config;
            config.max_volume_db = 0;
            Mixer mixer(config);
            AudioEngine audio({dir.path, 4, 2}, mixer, nullptr);
            audio.handle(at0(SetVolume{0, Ms{0}}), 0);
            audio.handle(at0(SetDepth{row.from, Ms{0}}), 0);
            audio.handle(at0(PlayTrack{"p", 0, layered(constant, Ms{4000}), Ms{0}, Ms{0}}), 0);
            audio.handle(at0(SetDepth{row.to, row.ramp}), 48000);
            std::vector<float> out;
            play(mixer, audio, 48000 * 3, out);
            const double step = largest_step(out, 24000, 48000 * 3);
            CAPTURE(step);
            CHECK(step < 0.01);
            // It did move: from the level at `from` to the level at `to` (not stuck).
            CHECK(out[2 * 24000] != doctest::Approx(out[2 * (48000 * 3 - 10)]).epsilon(0.05));
        }
        {
            // Sine stems: the short-time level (20 ms windows, whole cycles of every stem)
            // through the change stays within 0.5 dB of before.
            TempDir dir;
            const auto stems = write_three_stems(dir.path);
            MixerConfig config;
            config.max_volume_db = 0;
            Mixer mixer(config);
            AudioEngine audio({dir.path, 4, 2}, mixer, nullptr);
            audio.handle(at0(SetVolume{0, Ms{0}}), 0);
            audio.handle(at0(SetDepth{row.from, Ms{0}}), 0);
            audio.handle(at0(PlayTrack{"p", 0, layered(stems, Ms{6000}), Ms{0}, Ms{0}}), 0);
            audio.handle(at0(SetDepth{row.to, row.ramp}), 48000);
            std::vector<float> out;
            play(mixer, audio, 48000 * 4, out);
            const double before = rms_db_of(out, 24000, 48000);
            for (std::int64_t w = 48000; w < 48000 * 3; w += 960) {
                const double level = rms_db_of(out, w, w + 960);
                CAPTURE(w);
                CHECK(std::fabs(level - before) < 0.5);
            }
        }
    }
}

TEST_CASE("layers: sample-aligned after a seek, a late start and a reconcile (crash resume)") {
    TempDir dir;
    // Two stems that cancel exactly when aligned: a sawtooth (period 997 frames, slope 1/997
    // per frame) and its negative. At depth 0.25 (between 0 and 0.5) their weights are
    // equal, so the output is silence when, and only when, every layer is at the same
    // sample: one frame apart leaves 0.707 / 997 = 7e-4 on every sample, far above 1e-5.
    auto saw = [](std::int64_t i) {
        return static_cast<float>(static_cast<double>(i % 997) / 997.0 - 0.5);
    };
    REQUIRE(write_stem(dir.path / "up.wav", 48000, 10.0, saw));
    REQUIRE(
        write_stem(dir.path / "down.wav", 48000, 10.0, [&](std::int64_t i) { return -saw(i); }));
    REQUIRE(write_stem(dir.path / "other.wav", 48000, 10.0, stem_sine(440, 0.3)));
    const std::vector<TrackLayer> layers = {{"up.wav", 0}, {"down.wav", 0.5}, {"other.wav", 1}};
    struct Row {
        const char* name;
        std::function<void(Mixer&, AudioEngine&)> start;
    };
    const Row rows[] = {
        {"reconcile at 4 s (a resume after a crash)",
         [&](Mixer&, AudioEngine& audio) {
             DesiredState want;
             want.status = SessionStatus::Running;
             want.volume_target_db = 0;
             want.depth_target = 0.25;
             NowPlaying np{"p", 0, "up.wav", "piece", Ms{4000}, Ms{10000}, Ms{0}, 0};
             np.layers = layers;
             want.playing = np;
             audio.reconcile(want, 0, 4800);
         }},
        {"a track started at 3 s into the piece (a seek)",
         [&](Mixer&, AudioEngine& audio) {
             audio.handle(at0(SetVolume{0, Ms{0}}), 0);
             audio.handle(at0(SetDepth{0.25, Ms{0}}), 0);
             audio.handle(at0(PlayTrack{"p", 0, layered(layers, Ms{10000}), Ms{3000}, Ms{100}}), 0);
         }},
        {"a late start: 12345 frames skipped",
         [&](Mixer&, AudioEngine& audio) {
             audio.handle(at0(SetVolume{0, Ms{0}}), 0);
             audio.handle(at0(SetDepth{0.25, Ms{0}}), 0);
             const Effect e = at0(PlayTrack{"p", 0, layered(layers, Ms{10000}), Ms{0}, Ms{100}});
             auto voice = audio.load(e);
             REQUIRE(voice);
             CHECK(audio.skip(*voice, 12345) == 12345);
             audio.handle(e, 0, voice, 0);
         }},
    };
    for (const auto& row : rows) {
        const std::string name = row.name;
        CAPTURE(name);
        MixerConfig config;
        config.max_volume_db = 0;
        Mixer mixer(config);
        AudioEngine audio({dir.path, 4, 2}, mixer, nullptr);
        row.start(mixer, audio);
        std::vector<float> out;
        play(mixer, audio, 48000 * 2, out);
        double largest = 0;
        for (std::int64_t i = 9600; i < 48000 * 2; ++i)
            largest = std::max(largest, static_cast<double>(std::fabs(out[2 * i])));
        CAPTURE(largest);
        CHECK(largest < 1e-5);
        CHECK(mixer.underruns() == 0);
        // And the check can fail: at depth 0 the ramp alone is heard, loud and clear.
        audio.handle(at0(SetDepth{0, Ms{0}}), 48000 * 2);
        out.clear();
        play(mixer, audio, 9600, out);
        CHECK(rms_db_of(out, 4800, 9600) > -20); // the sawtooth: 0.29 RMS, -10.8 dB
    }
}

TEST_CASE("layers: a plain track ignores depth") {
    TempDir dir;
    REQUIRE(write_stem(dir.path / "plain.wav", 48000, 4.0, stem_sine(500, 0.3)));
    MixerConfig config;
    config.max_volume_db = 0;
    Mixer mixer(config);
    AudioEngine audio({dir.path, 4, 2}, mixer, nullptr);
    TrackInfo plain{"plain.wav", "plain", "", Ms{0}, Ms{4000}, 0, {}};
    audio.handle(at0(SetVolume{0, Ms{0}}), 0);
    audio.handle(at0(PlayTrack{"p", 0, plain, Ms{0}, Ms{0}}), 0);
    for (double depth : {0.0, 0.5, 1.0}) {
        CAPTURE(depth);
        audio.handle(at0(SetDepth{depth, Ms{0}}), mixer.frame());
        std::vector<float> out;
        play(mixer, audio, 24000, out);
        CHECK(tone_amplitude(out, 4800, 24000, 500) == doctest::Approx(0.3).epsilon(0.01));
    }
}

TEST_CASE("layers: the audio callback with layers and depth ramps never allocates or locks") {
    TempDir dir;
    const auto stems = write_three_stems(dir.path);
    MixerConfig config;
    Mixer mixer(config);
    AudioEngine audio({dir.path, 4, 2}, mixer, nullptr);
    audio.handle(at0(SetVolume{-10, Ms{500}}), 0);
    audio.handle(at0(PlayTrack{"p", 0, layered(stems, Ms{6000}), Ms{0}, Ms{0}}), 0);
    audio.handle(at0(SetDepth{1, Ms{2000}}), 10000);
    audio.handle(at0(PlayTrack{"p", 1, layered(stems, Ms{6000}), Ms{1000}, Ms{1000}}), 60000);
    audio.handle(at0(SetDepth{0.3, Ms{500}}), 100000);
    audio.handle(at0(StopMusic{Ms{500}}), 240000);
    std::size_t allocations = 0, locks = 0;
    std::vector<float> out(2 * 512);
    for (int block = 0; block < 600; ++block) {
        {
            AllocationWatch watch;
            mixer.process(out.data(), 512);
            allocations += watch.count();
            locks += watch.locks();
        }
        audio.service();
        audio.collect();
    }
    CHECK(allocations == 0);
    CHECK(locks == 0);
    CHECK(mixer.underruns() == 0);
    CHECK(audio.live_voices() == 0);
}

TEST_CASE("layers: a rendered session follows the template's depth (render, through the engine)") {
    TempDir dir;
    const auto stems = write_three_stems(dir.path);
    PlaylistCatalog c;
    c["p"] = playlist("p", Ms{1000}, {});
    c["p"].loop = false;
    c["p"].tracks.push_back(layered(stems, Ms{6000}));
    const char* tmpl = R"({"name": "depth", "phases": [{"id": "a", "duration": "5s",
        "playlist": "p", "volume_db": 0, "fade": "0s", "depth": 0}],
        "cues": [{"at": "start+2s", "depth": 1, "ramp": "1s"}], "end": {"fade": "0.5s"}})";
    SessionSetup setup = setup_from(tmpl, c);
    setup.max_volume_db = 0;
    RenderOptions o;
    o.library_dir = dir.path;
    o.max_volume_db = 0;
    std::vector<float> out;
    o.on_audio = [&](const float* d, int n, std::int64_t) { out.insert(out.end(), d, d + 2 * n); };
    const RenderResult r = render_session(setup, o);
    REQUIRE(r.ok);
    REQUIRE(out.size() >= 2 * 48000 * 5);
    // 0.5 .. 1.5 s: the lightest stem; 3.5 .. 4.5 s: the deepest.
    CHECK(tone_amplitude(out, 24000, 72000, 200) == doctest::Approx(0.3).epsilon(0.01));
    CHECK(tone_amplitude(out, 24000, 72000, 1250) < 0.003);
    CHECK(tone_amplitude(out, 168000, 216000, 1250) == doctest::Approx(0.3).epsilon(0.01));
    CHECK(tone_amplitude(out, 168000, 216000, 200) < 0.003);
    CHECK(r.underruns == 0);
}
