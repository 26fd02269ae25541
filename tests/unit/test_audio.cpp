// The audio path on generated signals: continuity of crossfades, sample-accurate cues, the
// ceiling, loudness normalisation, failed files, formats and rates, and a callback that
// never allocates.
#include "alloc_counter.hpp"
#include "fixtures.hpp"
#include "temp_dir.hpp"

#include "playlists/audio_engine.hpp"
#include "playlists/limiter.hpp"
#include "playlists/loudness.hpp"
#include "playlists/playlist.hpp"
#include "playlists/render.hpp"
#include "playlists/resampler.hpp"
#include "playlists/sndfile.hpp"

#include <ebur128.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

constexpr double kPi = 3.14159265358979323846;

bool write_signal(const fs::path& path, AudioFormat format, int rate, int channels, double seconds,
                  const std::function<float(std::int64_t frame, int rate)>& sample) {
    fs::create_directories(path.parent_path());
    std::string error;
    auto f = SndFile::open_write(path, rate, channels, format, &error);
    if (!f) return false;
    const auto frames = static_cast<std::int64_t>(seconds * rate);
    std::vector<float> buf(static_cast<std::size_t>(frames * channels));
    for (std::int64_t i = 0; i < frames; ++i)
        for (int c = 0; c < channels; ++c)
            buf[static_cast<std::size_t>(i * channels + c)] = sample(i, rate);
    return f->write(buf.data(), frames) == frames;
}

std::function<float(std::int64_t, int)> sine(double hz, double amplitude) {
    return [=](std::int64_t i, int rate) {
        return static_cast<float>(amplitude *
                                  std::sin(2 * kPi * hz * static_cast<double>(i) / rate));
    };
}

// A one-phase session playing `playlist` at 0 dB (the room's maximum set to 0 dB).
SessionSetup audio_setup(PlaylistInfo playlist, const std::string& extra_cues = "[]",
                         const std::string& duration = "10s") {
    PlaylistCatalog c;
    c["p"] = std::move(playlist);
    const std::string tmpl = R"({"name":"audio","phases":[{"id":"play","duration":")" + duration +
                             R"(","playlist":"p","volume_db":0,"fade":"0s"}],"cues":)" +
                             extra_cues + R"(,"end":{"fade":"0.5s"}})";
    SessionSetup s = setup_from(tmpl, c);
    s.max_volume_db = 0;
    return s;
}

// The same at a session volume of `volume_db` (fixed from the start).
SessionSetup audio_setup_at(PlaylistInfo playlist, double volume_db, const std::string& extra_cues,
                            const std::string& duration) {
    PlaylistCatalog c;
    c["p"] = std::move(playlist);
    const std::string tmpl = R"({"name":"audio","phases":[{"id":"play","duration":")" + duration +
                             R"(","playlist":"p","volume_db":)" + std::to_string(volume_db) +
                             R"(,"fade":"0s"}],"cues":)" + extra_cues +
                             R"(,"end":{"fade":"0.5s"}})";
    SessionSetup s = setup_from(tmpl, c);
    s.max_volume_db = 0;
    return s;
}

PlaylistInfo measured(const fs::path& dir, const std::string& json) {
    Problems problems("playlists/p.json");
    auto p = load_playlist(Json::parse(json), "p", problems);
    REQUIRE(p);
    LoudnessCache cache(dir);
    PlaylistInfo info = playlist_info(*p, dir, problems, &cache);
    INFO(problems.to_string());
    CHECK_FALSE(problems.has_errors());
    return info;
}

struct Capture {
    std::vector<float> samples; // interleaved stereo
    void add(const float* data, int frames, std::int64_t) {
        samples.insert(samples.end(), data, data + frames * 2);
    }
    std::int64_t frames() const { return static_cast<std::int64_t>(samples.size() / 2); }
};

RenderResult render(const SessionSetup& setup, const fs::path& dir, Capture& capture) {
    RenderOptions o;
    o.library_dir = dir;
    o.max_volume_db = 0;
    o.on_audio = [&](const float* d, int n, std::int64_t first) { capture.add(d, n, first); };
    RenderResult r = render_session(setup, o);
    REQUIRE(r.ok);
    return r;
}

double max_step(const std::vector<float>& s, std::int64_t from, std::int64_t to) {
    double m = 0;
    for (std::int64_t i = std::max<std::int64_t>(from, 1); i < to; ++i)
        for (int c = 0; c < 2; ++c)
            m = std::max(
                m, static_cast<double>(std::fabs(s[static_cast<std::size_t>(2 * i + c)] -
                                                 s[static_cast<std::size_t>(2 * (i - 1) + c)])));
    return m;
}

double lufs(const std::vector<float>& s, std::int64_t from, std::int64_t to) {
    ebur128_state* st = ebur128_init(2, 48000, EBUR128_MODE_I);
    ebur128_add_frames_float(st, s.data() + 2 * from, static_cast<std::size_t>(to - from));
    double v = -70;
    ebur128_loudness_global(st, &v);
    ebur128_destroy(&st);
    return v;
}

} // namespace

TEST_CASE("a crossfade is continuous: no step beyond what the signals themselves have") {
    TempDir dir;
    REQUIRE(write_signal(dir.path / "a.flac", AudioFormat::Flac16, 48000, 2, 3.0, sine(440, 0.5)));
    REQUIRE(write_signal(dir.path / "b.wav", AudioFormat::Wav16, 44100, 1, 3.0, sine(660, 0.5)));
    auto info = measured(
        dir.path,
        R"({"crossfade":"1s","loop":false,"tracks":[{"file":"a.flac"},{"file":"b.wav"}]})");
    Capture cap;
    RenderResult r = render(audio_setup(info, "[]", "6s"), dir.path, cap);
    CHECK(r.underruns == 0);
    REQUIRE(cap.frames() > 5 * 48000);
    // Track A alone: 0.1..1.9 s; B alone: 3.1..4.9 s; the crossfade 2..3 s.
    const double a_alone = max_step(cap.samples, 4800, 91200);
    const double b_alone = max_step(cap.samples, 148800, 235200);
    const double overall = max_step(cap.samples, 0, cap.frames());
    CAPTURE(a_alone);
    CAPTURE(b_alone);
    CAPTURE(overall);
    CHECK(a_alone > 0.001);
    CHECK(b_alone > 0.001);
    CHECK(overall <= (a_alone + b_alone) * 1.01);
    // Equal power: the level in the middle of the crossfade is that of either track alone.
    auto rms_db = [&](std::int64_t from, std::int64_t to) {
        double sum = 0;
        for (std::int64_t i = from; i < to; ++i)
            sum += static_cast<double>(cap.samples[static_cast<std::size_t>(2 * i)]) *
                   cap.samples[static_cast<std::size_t>(2 * i)];
        return 10 * std::log10(sum / static_cast<double>(to - from));
    };
    const double mid = rms_db(2 * 48000 + 19200, 3 * 48000 - 19200);
    const double a = rms_db(4800, 91200), b = rms_db(148800, 235200);
    CAPTURE(a);
    CAPTURE(b);
    CAPTURE(mid);
    CHECK(std::fabs(a - b) < 2.0);             // loudness-normalised
    CHECK(std::fabs(mid - (a + b) / 2) < 1.0); // no dip, no bump
}

TEST_CASE("a cue's sound lands on the exact sample") {
    TempDir dir;
    REQUIRE(write_signal(dir.path / "impulse.wav", AudioFormat::WavFloat, 48000, 1, 0.1,
                         [](std::int64_t i, int) { return i == 0 ? 0.5f : 0.0f; }));
    REQUIRE(write_signal(dir.path / "silence.wav", AudioFormat::WavFloat, 48000, 2, 4.0,
                         [](std::int64_t, int) { return 0.0f; }));
    auto info = measured(dir.path, R"({"tracks":[{"file":"silence.wav"}]})");
    for (int at_ms : {1500, 1501, 2999}) {
        CAPTURE(at_ms);
        Capture cap;
        render(audio_setup(info,
                           R"([{"at":"start+)" + std::to_string(at_ms) +
                               R"(ms","sound":"impulse.wav","gain_db":-6}])",
                           "4s"),
               dir.path, cap);
        const std::int64_t expected = static_cast<std::int64_t>(at_ms) * 48;
        std::int64_t first = -1, nonzero = 0;
        for (std::int64_t i = 0; i < cap.frames(); ++i)
            if (cap.samples[static_cast<std::size_t>(2 * i)] != 0.0f) {
                if (first < 0) first = i;
                ++nonzero;
            }
        CHECK(first == expected);
        CHECK(nonzero == 1);
        // At the music's level (0 dB session volume here) minus 6 dB, after the sound's own
        // normalisation (too short to gate: taken by its true peak).
        std::string error;
        const auto l = measure_loudness(dir.path / "impulse.wav", &error);
        REQUIRE(l);
        const double gain_db = sound_normalisation_db(*l) - 6;
        CHECK(cap.samples[static_cast<std::size_t>(2 * expected)] ==
              doctest::Approx(0.5 * std::pow(10.0, gain_db / 20.0)).epsilon(1e-4));
    }
}

TEST_CASE("the ceiling is never exceeded") {
    TempDir dir;
    // A full-scale square wave, boosted by loudness normalisation, plus a loud chime on top.
    REQUIRE(
        write_signal(dir.path / "square.wav", AudioFormat::WavFloat, 48000, 2, 3.0,
                     [](std::int64_t i, int rate) { return (i * 100 / rate) % 2 ? 1.0f : -1.0f; }));
    REQUIRE(
        write_signal(dir.path / "loud.wav", AudioFormat::WavFloat, 48000, 2, 1.0, sine(1000, 1.0)));
    auto info = measured(dir.path, R"({"tracks":[{"file":"square.wav","gain_db":12}]})");
    Capture cap;
    RenderResult r = render(
        audio_setup(
            info, R"([{"at":"start+1s","sound":"loud.wav","gain_db":12,"louder_than_music":true}])",
            "3s"),
        dir.path, cap);
    const float ceiling = static_cast<float>(std::pow(10.0, -1 / 20.0));
    float peak = 0;
    for (float x : cap.samples)
        peak = std::max(peak, std::fabs(x));
    CAPTURE(peak);
    CHECK(peak <= ceiling + 1e-6f);
    CHECK(r.peak <= ceiling + 1e-6f);
    CHECK(peak > 0.5f); // it is loud, just not over
}

TEST_CASE("two tracks 20 dB apart come out within 1 LU after normalisation") {
    TempDir dir;
    REQUIRE(
        write_signal(dir.path / "loud.flac", AudioFormat::Flac16, 48000, 2, 4.0, sine(500, 0.5)));
    REQUIRE(
        write_signal(dir.path / "quiet.flac", AudioFormat::Flac16, 48000, 2, 4.0, sine(500, 0.05)));
    double levels[2];
    int k = 0;
    for (const char* file : {"loud.flac", "quiet.flac"}) {
        auto info = measured(dir.path, std::string(R"({"tracks":[{"file":")") + file + R"("}]})");
        Capture cap;
        render(audio_setup(info, "[]", "4s"), dir.path, cap);
        levels[k++] = lufs(cap.samples, 24000, 3 * 48000);
    }
    CAPTURE(levels[0]);
    CAPTURE(levels[1]);
    CHECK(std::fabs(levels[0] - levels[1]) < 1.0);
    CHECK(levels[0] == doctest::Approx(-23.0).epsilon(0.05));
}

TEST_CASE("missing and truncated files: skipped, never a silence longer than the crossfade") {
    TempDir dir;
    REQUIRE(write_signal(dir.path / "a.flac", AudioFormat::Flac16, 48000, 2, 3.0, sine(300, 0.3)));
    REQUIRE(write_signal(dir.path / "b.flac", AudioFormat::Flac16, 48000, 2, 3.0, sine(400, 0.3)));
    REQUIRE(
        write_signal(dir.path / "cut.flac", AudioFormat::Flac16, 48000, 2, 3.0, sine(500, 0.3)));
    // Chop the FLAC file in half: its header still promises three seconds.
    const auto full = fs::file_size(dir.path / "cut.flac");
    fs::resize_file(dir.path / "cut.flac", full / 2);
    // The library was checked before the files broke: the engine believes all four play.
    PlaylistInfo info =
        test::playlist("p", Ms{1000}, {Ms{3000}, Ms{3000}, Ms{3000}, Ms{3000}}, false);
    info.tracks[0].file = "a.flac";
    info.tracks[1].file = "gone.flac";
    info.tracks[2].file = "cut.flac";
    info.tracks[3].file = "b.flac";
    Capture cap;
    RenderResult r = render(audio_setup(info, "[]", "9s"), dir.path, cap);
    CHECK(r.failures.size() == 2);
    // The longest run of silence between the first and the last sound.
    std::int64_t first = -1, last = -1;
    for (std::int64_t i = 0; i < cap.frames(); ++i)
        if (std::fabs(cap.samples[static_cast<std::size_t>(2 * i)]) > 1e-4f) {
            if (first < 0) first = i;
            last = i;
        }
    std::int64_t run = 0, longest = 0;
    for (std::int64_t i = first; i <= last; ++i) {
        const bool quiet = std::fabs(cap.samples[static_cast<std::size_t>(2 * i)]) < 1e-4f &&
                           std::fabs(cap.samples[static_cast<std::size_t>(2 * i + 1)]) < 1e-4f;
        run = quiet ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    CAPTURE(longest);
    CHECK(longest < 48000);          // shorter than the 1 s crossfade
    CHECK(last - first > 48000 * 5); // a, part of cut and b all played
}

TEST_CASE("formats, rates and channel layouts all play at the device rate") {
    TempDir dir;
    struct Row {
        AudioFormat format;
        const char* ext;
        int rate;
        int channels;
    };
    const Row rows[] = {
        {AudioFormat::Wav16, "wav", 44100, 1},   {AudioFormat::Wav16, "wav", 48000, 2},
        {AudioFormat::Flac16, "flac", 96000, 2}, {AudioFormat::Flac16, "flac", 44100, 1},
        {AudioFormat::Ogg, "ogg", 44100, 2},     {AudioFormat::WavFloat, "wav", 48000, 6},
        {AudioFormat::Mp3, "mp3", 44100, 2},
    };
    int n = 0;
    for (const auto& row : rows) {
        const std::string file = "t" + std::to_string(n++) + "." + row.ext;
        CAPTURE(file);
        CAPTURE(row.rate);
        CAPTURE(row.channels);
        if (!write_signal(dir.path / file, row.format, row.rate, row.channels, 2.0,
                          sine(440, 0.3))) {
            // This libsndfile cannot write the format; sox can (it is in install-deps.sh).
            const std::string cmd = "sox -q -r " + std::to_string(row.rate) + " -c " +
                                    std::to_string(row.channels) + " -n '" +
                                    (dir.path / file).string() + "' synth 2 sine 440 vol 0.3";
            if (std::system(cmd.c_str()) != 0) {
                MESSAGE("cannot make a " << std::string(row.ext) << " file here; skipped");
                continue;
            }
        }
        auto info = measured(dir.path, R"({"tracks":[{"file":")" + file + R"("}],"loop":false})");
        REQUIRE(info.tracks[0].length > Ms{1900});
        Capture cap;
        RenderResult r = render(audio_setup(info, "[]", "3s"), dir.path, cap);
        CHECK(r.failures.empty());
        CHECK(r.underruns == 0);
        std::int64_t audible = 0;
        bool finite = true;
        for (std::int64_t i = 0; i < cap.frames(); ++i) {
            const float l = cap.samples[static_cast<std::size_t>(2 * i)];
            const float rr = cap.samples[static_cast<std::size_t>(2 * i + 1)];
            finite = finite && std::isfinite(l) && std::isfinite(rr);
            audible += std::fabs(l) > 1e-3f && std::fabs(rr) > 1e-3f; // both sides
        }
        CHECK(finite);
        // About two seconds of sound at 48 kHz (sine zero crossings aside).
        CHECK(audible > 48000 * 18 / 10);
        CHECK(audible <= 48000 * 2 + 2400); // MP3 adds a little encoder padding
    }
}

TEST_CASE("the audio callback never allocates, locks or waits") {
    TempDir dir;
    REQUIRE(write_signal(dir.path / "a.wav", AudioFormat::WavFloat, 48000, 2, 5.0, sine(220, 0.4)));
    REQUIRE(write_signal(dir.path / "b.wav", AudioFormat::WavFloat, 48000, 2, 5.0, sine(330, 0.4)));
    MixerConfig config;
    config.device_channels = 4;
    config.groups = {{{0, 1}, 1.0f}, {{2, 3}, 0.5f}};
    Mixer mixer(config);
    AudioEngine audio({dir.path, 4, 2}, mixer, nullptr);
    std::vector<float> out(512 * 4);
    auto effect = [](EffectBody body) { return Effect{Ms{0}, std::move(body)}; };
    TrackInfo a{"a.wav", "a", "", Ms{0}, Ms{5000}, 0};
    TrackInfo b{"b.wav", "b", "", Ms{0}, Ms{5000}, -3};
    audio.handle(effect(SetVolume{-10, Ms{500}}), 0);
    audio.handle(effect(PlayTrack{"p", 0, a, Ms{0}, Ms{0}}), 0);
    audio.handle(effect(PlayTrack{"p", 1, b, Ms{0}, Ms{1000}}), 24000);
    audio.handle(effect(PlaySound{"a.wav", -12}), 30000);
    audio.handle(effect(SetVolume{-20, Ms{2000}}), 40000);
    audio.handle(effect(StopMusic{Ms{500}}), 90000);
    // The watch itself can see each thing it counts (otherwise this test could not fail).
    // The second round is watched: the first lets the interposers find the real functions.
    for (int round = 0; round < 2; ++round) {
        AllocationWatch watch;
        void* volatile raw = std::malloc(16); // volatile: the pair must not be optimised away
        std::free(raw);
        int* volatile boxed = new int(1);
        delete boxed;
        std::mutex m;
        m.lock();
        m.unlock();
        std::this_thread::sleep_for(std::chrono::microseconds(1));
        if (round == 0) continue;
        if (AllocationWatch::full()) {
            CHECK(watch.count() == 2);
            CHECK(watch.locks() == 1);
            CHECK(watch.waits() == 1);
        } else {
            CHECK(watch.count() >= 1); // sanitizer build: operator new only
            MESSAGE("sanitizer build: malloc, locks and waits are not observed here");
        }
    }
    std::size_t allocations = 0, locks = 0, waits = 0;
    for (int block = 0; block < 600; ++block) {
        {
            AllocationWatch watch;
            mixer.process(out.data(), 512);
            allocations += watch.count();
            locks += watch.locks();
            waits += watch.waits();
        }
        audio.service(); // the decoder's work, off the audio thread
        audio.collect();
    }
    CHECK(allocations == 0);
    CHECK(locks == 0);
    CHECK(waits == 0);
    CHECK(mixer.underruns() == 0);
    CHECK(audio.live_voices() == 0); // everything retired and freed on this (control) thread
}

TEST_CASE("reconcile starts the track at the desired position") {
    TempDir dir;
    // A ramp: every sample says where in the file it is.
    const double total = 480000;
    REQUIRE(write_signal(
        dir.path / "ramp.wav", AudioFormat::WavFloat, 48000, 1, 10.0,
        [&](std::int64_t i, int) { return static_cast<float>(static_cast<double>(i) / total); }));
    MixerConfig config;
    config.max_volume_db = 0;
    Mixer mixer(config);
    AudioEngine audio({dir.path, 4, 2}, mixer, nullptr);
    DesiredState want;
    want.status = SessionStatus::Running;
    want.volume_target_db = 0;
    want.playing = NowPlaying{"p", 0, "ramp.wav", "ramp", Ms{4000}, Ms{10000}, Ms{0}, 0};
    audio.reconcile(want, 0, 4800);
    std::vector<float> out(2 * 9600);
    mixer.process(out.data(), 9600);
    const std::int64_t at = 6000; // after the 100 ms fade-in
    const double expected =
        (4.0 * 48000 + static_cast<double>(at - Mixer::latency_frames())) / total;
    CHECK(out[static_cast<std::size_t>(2 * at)] == doctest::Approx(expected).epsilon(1e-4));
    CHECK(out[static_cast<std::size_t>(2 * at + 1)] == doctest::Approx(expected).epsilon(1e-4));
}

TEST_CASE("the mixer holds a volume above the room's ceiling at the ceiling") {
    MixerConfig config;
    config.max_volume_db = -6;
    Mixer mixer(config);
    MixerCommand up;
    up.kind = MixerCommand::Kind::SetVolume;
    up.at = 0;
    up.fade = 4800;
    up.db = 0; // 6 dB over the ceiling
    REQUIRE(mixer.post(up));
    std::vector<float> out(512 * 2);
    for (int block = 0; block < 20; ++block)
        mixer.process(out.data(), 512); // past the fade
    CHECK(mixer.volume_db() == doctest::Approx(-6.0));
}

TEST_CASE("the limiter catches a burst, releases smoothly and goes back to a plain delay") {
    Limiter limiter;
    const double ceiling = 0.891250938; // -1 dBFS, written out: not read back from the limiter
    limiter.prepare(48000, static_cast<float>(std::pow(10.0, -1 / 20.0)));
    std::vector<float> in, out;
    auto add = [&](int frames, double amplitude) {
        for (int i = 0; i < frames; ++i) {
            const auto v = static_cast<float>(
                amplitude * std::sin(2 * kPi * 200 * static_cast<double>(in.size() / 2) / 48000));
            in.push_back(v);
            in.push_back(v);
        }
    };
    add(48000, 0.1);
    add(4800, 2.0);
    add(100000, 0.1);
    out = in;
    for (std::size_t at = 0; at < out.size() / 2; at += 512) {
        const int n = static_cast<int>(std::min<std::size_t>(512, out.size() / 2 - at));
        limiter.process_block(out.data() + 2 * at, n);
    }
    float peak = 0;
    for (float x : out)
        peak = std::max(peak, std::fabs(x));
    CHECK(peak <= ceiling + 1e-6);
    CHECK(peak >= ceiling * 0.97); // the burst was held at the ceiling, not muted
    // No step: the largest sample-to-sample change is what the loud sine itself has.
    double worst = 0;
    for (std::size_t i = 2; i < out.size(); i += 2)
        worst = std::max(worst, static_cast<double>(std::fabs(out[i] - out[i - 2])));
    CHECK(worst < 2.0 * 2 * kPi * 200 / 48000 * 1.05);
    // Held by a smooth gain, not clipped: within every cycle (240 samples at 200 Hz) of the
    // burst the output is the delayed input times a gain that moves by under 3 %. A hard
    // clip at the ceiling would pass the peak and step checks above but not this one.
    for (std::size_t c0 = 48000 + 600; c0 + 240 < 48000 + 4800; c0 += 240) {
        float lo = 10, hi = 0;
        for (std::size_t i = c0; i < c0 + 240; ++i) {
            const float x = in[2 * (i - Limiter::kLookahead)];
            if (std::fabs(x) < 0.5f) continue; // near zero crossings the ratio says nothing
            const float g = out[2 * i] / x;
            lo = std::min(lo, g);
            hi = std::max(hi, g);
        }
        CAPTURE(c0);
        CHECK(hi <= lo * 1.03f);
    }
    // Two seconds after the burst: unity gain, the output is the input delayed by the look-ahead.
    CHECK(limiter.gain() == 1.0f);
    const std::size_t check_from = 48000 + 4800 + 94000;
    for (std::size_t i = check_from; i < check_from + 1000; ++i)
        CHECK(out[2 * i] == in[2 * (i - Limiter::kLookahead)]);
}

TEST_CASE("libsoxr: the exact length, the tone in place, nothing allocated once streaming") {
    for (int rate : {44100, 96000}) {
        CAPTURE(rate);
        std::string error;
        auto r = Resampler::create(rate, 48000, &error);
        REQUIRE(r);
        const std::int64_t frames = 5LL * rate + 123; // not a whole number of chunks
        std::vector<float> in(static_cast<std::size_t>(2 * frames));
        for (std::int64_t i = 0; i < frames; ++i)
            in[static_cast<std::size_t>(2 * i)] = in[static_cast<std::size_t>(2 * i + 1)] =
                static_cast<float>(0.5 * std::sin(2 * kPi * 1000 * static_cast<double>(i) / rate));
        constexpr std::int64_t kChunk = 4096;
        std::vector<float> block(static_cast<std::size_t>(2 * (kChunk * 48000 / rate + 64)));
        const auto capacity = static_cast<std::int64_t>(block.size() / 2);
        std::vector<float> out;
        std::size_t allocations = 0;
        int chunk = 0;
        for (std::int64_t at = 0; at < frames; at += kChunk, ++chunk) {
            const std::int64_t n = std::min(kChunk, frames - at);
            std::int64_t used = 0, generated = 0;
            {
                // The first chunks size libsoxr's FIFOs (measured: up to the 4th); live, those
                // are decoded by the prefill on the control thread, before the hand-over.
                AllocationWatch watch;
                REQUIRE(r->process(in.data() + 2 * at, n, block.data(), capacity, used, generated));
                if (chunk >= 8 && n == kChunk) allocations += watch.count();
            }
            REQUIRE(used == n);
            out.insert(out.end(), block.begin(), block.begin() + 2 * generated);
        }
        for (int guard = 0; guard < 100; ++guard) {
            std::int64_t generated = 0;
            REQUIRE(r->flush(block.data(), capacity, generated));
            if (generated == 0) break;
            out.insert(out.end(), block.begin(), block.begin() + 2 * generated);
        }
        CHECK(allocations == 0);
        const auto got = static_cast<std::int64_t>(out.size() / 2);
        CHECK(got == std::llround(static_cast<double>(frames) * 48000 / rate));
        // No delay, no drift: after the filter's start, output sample k is the tone at k/48000 s.
        double worst = 0;
        for (std::int64_t k = 4800; k < got - 4800; ++k)
            worst = std::max(
                worst, std::fabs(out[static_cast<std::size_t>(2 * k)] -
                                 0.5 * std::sin(2 * kPi * 1000 * static_cast<double>(k) / 48000)));
        CHECK(worst < 1e-3);
    }
}

TEST_CASE("a cue's sound plays at the music's level plus its gain_db, never above unless allowed") {
    TempDir dir;
    // Quiet music and a chime at nearly full scale: 28 dB apart in their files.
    REQUIRE(
        write_signal(dir.path / "music.flac", AudioFormat::Flac16, 48000, 2, 8.0, sine(220, 0.05)));
    REQUIRE(
        write_signal(dir.path / "chime.wav", AudioFormat::Wav16, 44100, 1, 2.0, sine(880, 0.9)));
    auto info = measured(dir.path, R"({"tracks":[{"file":"music.flac"}],"loop":false})");
    // Music alone, then with the chime at start+3s; the difference is the chime as played.
    auto render_with = [&](const std::string& cues) {
        Capture cap;
        render(audio_setup_at(info, -12, cues, "7s"), dir.path, cap);
        return cap.samples;
    };
    const auto music = render_with("[]");
    const std::int64_t from = 3 * 48000 + 2400, to = 5 * 48000 - 2400; // inside the chime
    const double music_lufs = lufs(music, from, to);
    CHECK(music_lufs ==
          doctest::Approx(-23.0 - 12.0).epsilon(0.03)); // the reference and the volume
    struct Row {
        std::string cue;
        double expected_db; // the chime relative to the music
    };
    const Row rows[] = {
        {R"([{"at":"start+3s","sound":"chime.wav","gain_db":-12}])", -12},
        {R"([{"at":"start+3s","sound":"chime.wav"}])", 0},
        {R"([{"at":"start+3s","sound":"chime.wav","gain_db":6,"louder_than_music":true}])", 6},
    };
    for (const auto& row : rows) {
        CAPTURE(row.cue);
        const auto mixed = render_with(row.cue);
        REQUIRE(mixed.size() == music.size());
        std::vector<float> chime(mixed.size());
        for (std::size_t i = 0; i < mixed.size(); ++i)
            chime[i] = mixed[i] - music[i];
        const double chime_lufs = lufs(chime, from, to);
        CAPTURE(music_lufs);
        CAPTURE(chime_lufs);
        CHECK(chime_lufs == doctest::Approx(music_lufs + row.expected_db).epsilon(0.03));
        if (row.expected_db <= 0) CHECK(chime_lufs <= music_lufs + 0.5);
    }
}

TEST_CASE(
    "render a window: sample N of the file is sample from+N of the session; formats and gain") {
    TempDir dir;
    REQUIRE(write_signal(dir.path / "a.flac", AudioFormat::Flac16, 44100, 2, 4.0, sine(330, 0.5)));
    auto info = measured(dir.path, R"({"tracks":[{"file":"a.flac"}]})");
    const SessionSetup setup = audio_setup(info, "[]", "4s");
    Capture full;
    render(setup, dir.path, full);
    const std::int64_t from = 48000 + 17, to = 3 * 48000 + 5;
    struct Row {
        AudioFormat format;
        std::string file;
        double gain_db;
        double tolerance; // one 16-bit step, or float rounding
    };
    const Row rows[] = {{AudioFormat::WavFloat, "w.wav", 0, 1e-7},
                        {AudioFormat::WavFloat, "g.wav", 6, 1e-6},
                        {AudioFormat::Wav16, "w16.wav", 0, 1.0 / 32768},
                        {AudioFormat::Flac16, "f.flac", -3, 1.0 / 32768}};
    for (const auto& row : rows) {
        CAPTURE(row.file);
        RenderOptions o;
        o.library_dir = dir.path;
        o.max_volume_db = 0;
        o.out_wav = dir.path / row.file;
        o.format = row.format;
        o.from_frame = from;
        o.to_frame = to;
        o.gain_db = row.gain_db;
        const RenderResult r = render_session(setup, o);
        REQUIRE(r.ok);
        CHECK(r.frames == to - from);
        CHECK(r.clipped == 0);
        std::string error;
        auto f = SndFile::open_read(o.out_wav, &error);
        REQUIRE(f);
        CHECK(f->info().frames == to - from);
        CHECK(f->info().format == (row.format == AudioFormat::Flac16 ? "FLAC" : "WAV"));
        std::vector<float> got(static_cast<std::size_t>(2 * (to - from)));
        REQUIRE(f->read(got.data(), to - from) == to - from);
        const double g = std::pow(10.0, row.gain_db / 20);
        double worst = 0;
        for (std::int64_t i = 0; i < to - from; ++i)
            for (int c = 0; c < 2; ++c)
                worst = std::max(
                    worst,
                    std::fabs(got[static_cast<std::size_t>(2 * i + c)] -
                              g * full.samples[static_cast<std::size_t>(2 * (from + i) + c)]));
        CHECK(worst <= row.tolerance);
    }
    // 16-bit WAV is half the size of float WAV.
    CHECK(fs::file_size(dir.path / "w16.wav") < fs::file_size(dir.path / "w.wav") * 6 / 10);
    // A gain past full scale clips (counted), it never wraps round.
    RenderOptions loud;
    loud.library_dir = dir.path;
    loud.max_volume_db = 0;
    loud.out_wav = dir.path / "loud.wav";
    loud.format = AudioFormat::Wav16;
    loud.gain_db = 40;
    const RenderResult r = render_session(setup, loud);
    REQUIRE(r.ok);
    CHECK(r.clipped > 0);
    std::string error;
    auto f = SndFile::open_read(loud.out_wav, &error);
    REQUIRE(f);
    std::vector<float> got(static_cast<std::size_t>(2 * f->info().frames));
    f->read(got.data(), f->info().frames);
    // Past full scale the sample sits at full scale with its own sign: clipped, not wrapped.
    REQUIRE(static_cast<std::int64_t>(got.size()) <= full.frames() * 2);
    const double g = std::pow(10.0, 40.0 / 20);
    std::int64_t over = 0, wrong = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double want = g * full.samples[i];
        if (std::fabs(want) <= 1.0) continue;
        ++over;
        if (std::fabs(got[i] - (want > 0 ? 1.0 : -1.0)) > 1e-3) ++wrong;
    }
    CHECK(over > 48000);
    CHECK(wrong == 0);
}
