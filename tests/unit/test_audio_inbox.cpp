// Device work off the room lock: the audio driver's apply() only queues; a loader thread
// opens, seeks and prefills each voice (here through an open that blocks until the test
// lets it go) and posts it stamped with the frame its session time falls on. Time moves
// only by ManualClock::advance_by and AudioDriver::process(frames).
#include "temp_dir.hpp"

#include "devices/audio_driver.hpp"
#include "playlists/sndfile.hpp"
#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

constexpr int kRate = 48000;
constexpr std::int64_t kTrackFrames = 3 * kRate;

// A stereo ramp from 0 to 0.5 over three seconds: the sample says where in the file it is.
float ramp_at(std::int64_t frame) {
    return 0.5f * static_cast<float>(frame) / static_cast<float>(kTrackFrames);
}

void write_ramp(const fs::path& path) {
    fs::create_directories(path.parent_path());
    std::string error;
    auto f = SndFile::open_write(path, kRate, 2, AudioFormat::WavFloat, &error);
    REQUIRE_MESSAGE(f, error);
    std::vector<float> buf(static_cast<std::size_t>(kTrackFrames * 2));
    for (std::int64_t i = 0; i < kTrackFrames; ++i)
        buf[static_cast<std::size_t>(2 * i)] = buf[static_cast<std::size_t>(2 * i + 1)] =
            ramp_at(i);
    REQUIRE(f->write(buf.data(), kTrackFrames) == kTrackFrames);
}

// An open that blocks until released: a file on storage that takes as long as the test says
// (at most 3 s, so a driver that waits for its loads fails these tests instead of hanging).
struct SlowOpen {
    std::mutex mutex;
    std::condition_variable cv;
    bool released = false;
    int entered = 0;

    void open(Voice& v) {
        {
            std::unique_lock lock(mutex);
            ++entered;
            cv.notify_all();
            if (!cv.wait_for(lock, std::chrono::seconds(3), [&] { return released; }))
                released = true;
        }
        open_voice(v);
    }
    // True once `n` opens have begun (bounded: 5 s of real time).
    bool wait_entered(int n) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, std::chrono::seconds(5), [&] { return entered >= n; });
    }
    bool still_blocked() {
        std::lock_guard lock(mutex);
        return !released;
    }
    void release() {
        {
            std::lock_guard lock(mutex);
            released = true;
        }
        cv.notify_all();
    }
};

AudioDriverOptions manual_options(const fs::path& library, SlowOpen& slow) {
    AudioDriverOptions o;
    o.library_dir = library;
    o.config.sample_rate = kRate;
    o.config.max_volume_db = 0;
    o.sink = AudioSink::Manual;
    o.open_voice = [&slow](Voice& v) { slow.open(v); };
    return o;
}

Effect play_ramp(Ms crossfade = Ms{0}) {
    PlayTrack p;
    p.playlist = "p";
    p.info.file = "audio/ramp.wav";
    p.info.length = Ms{3000};
    p.crossfade = crossfade;
    return {Ms{0}, p};
}

// Renders `frames` frames (stereo) and returns them.
std::vector<float> render_frames(AudioDriver& audio, std::int64_t frames) {
    std::vector<float> out(static_cast<std::size_t>(frames * 2));
    for (std::int64_t done = 0; done < frames;) {
        const int n = static_cast<int>(std::min<std::int64_t>(1024, frames - done));
        audio.process(out.data() + 2 * done, n);
        done += n;
    }
    return out;
}

std::int64_t first_sound(const std::vector<float>& out) {
    for (std::size_t i = 0; i < out.size(); ++i)
        if (out[i] != 0.0f) return static_cast<std::int64_t>(i / 2);
    return -1;
}

// A driver rendered by the test, on manual clocks, whose file opens are held by `slow`;
// the ramp track in its library and the session volume at 0 dB.
struct LoadingDriver {
    TempDir dir;
    ManualClock clock;
    ManualDeviceClock device_clock;
    SlowOpen slow;
    std::unique_ptr<AudioDriver> audio;

    LoadingDriver() {
        write_ramp(dir.path / "audio/ramp.wav");
        audio = std::make_unique<AudioDriver>(manual_options(dir.path, slow), clock, device_clock,
                                              nullptr, nullptr);
        audio->start();
        audio->apply({Ms{0}, SetVolume{0, Ms{0}}}, clock.now());
    }
    ~LoadingDriver() {
        slow.release();
        audio->stop();
    }
};

} // namespace

TEST_CASE(
    "apply() returns while the voice loads; a voice loaded ahead of its time starts on its frame") {
    LoadingDriver loading;
    ManualClock& clock = loading.clock;
    SlowOpen& slow = loading.slow;
    AudioDriver& audio = *loading.audio;

    const MonoTime due = clock.now() + Ms{200};
    const auto t0 = std::chrono::steady_clock::now();
    audio.apply(play_ramp(), due);
    const auto took = std::chrono::steady_clock::now() - t0;
    REQUIRE(slow.wait_entered(1));
    CHECK(slow.still_blocked()); // apply() returned while the load had not finished
    MESSAGE("apply() while a file loads: ", std::chrono::duration<double, std::milli>(took).count(),
            " ms");
    CHECK(took < std::chrono::milliseconds(50));

    // The load takes 100 ms of the 200 ms lead: session and mixer move on together.
    clock.advance_by(Ms{100});
    const auto before = render_frames(audio, kRate / 10);
    CHECK(first_sound(before) == -1);
    slow.release();
    audio.wait_idle();
    const auto after = render_frames(audio, kRate / 5);
    const std::int64_t start = kRate / 10 + first_sound(after) - Mixer::latency_frames();
    CAPTURE(start);
    // Due at frame 9600; its first sample is silent (fade-in from 0, ramp from 0).
    CHECK(start >= kRate / 5);
    CHECK(start <= kRate / 5 + 1);
}

TEST_CASE("a voice that loads late starts at once, where the track is by now") {
    LoadingDriver loading;
    ManualClock& clock = loading.clock;
    SlowOpen& slow = loading.slow;
    AudioDriver& audio = *loading.audio;
    audio.apply(play_ramp(), clock.now()); // due now
    REQUIRE(slow.wait_entered(1));
    // The file takes 300 ms to open: the session and the mixer go on without it.
    clock.advance_by(Ms{300});
    render_frames(audio, 3 * kRate / 10);
    slow.release();
    audio.wait_idle();
    const auto out = render_frames(audio, kRate / 2);
    const std::int64_t lag = Mixer::latency_frames();
    // Past the fade-in, each sample is the file's sample 300 ms + that far in: aligned.
    for (std::int64_t j = 1000; j < kRate / 2 - lag; j += 997) {
        CAPTURE(j);
        // 5e-4 is 3 ms of the ramp; starting unaligned would be 300 ms (0.05) off.
        CHECK(std::abs(out[static_cast<std::size_t>(2 * (j + lag))] - ramp_at(3 * kRate / 10 + j)) <
              5e-4f);
    }
}

TEST_CASE("a Stop applied after a Play is not overtaken by the Play's load") {
    LoadingDriver loading;
    ManualClock& clock = loading.clock;
    SlowOpen& slow = loading.slow;
    AudioDriver& audio = *loading.audio;
    audio.apply(play_ramp(), clock.now());
    REQUIRE(slow.wait_entered(1));
    audio.apply({Ms{0}, StopMusic{Ms{100}}}, clock.now() + Ms{20}); // queued behind the load
    // The load takes 300 ms: the stop's time passes while the play still loads. Had the
    // stop gone ahead, it would have faded nothing and the late track would play on.
    clock.advance_by(Ms{300});
    render_frames(audio, 3 * kRate / 10);
    slow.release();
    audio.wait_idle();
    const auto out = render_frames(audio, kRate);
    // In order, the late track and the stop land on the same frame: the track never sounds.
    // Overtaken, the stop would have found nothing to fade and the track would play on
    // (the late start itself is proven above).
    CHECK(slow.entered == 1);
    CHECK(first_sound(out) == -1);
}

TEST_CASE("Room::command returns while the audio driver loads a file") {
    TempDir dir;
    write_ramp(dir.path / "lib/audio/ramp.wav");
    fs::create_directories(dir.path / "lib/playlists");
    fs::create_directories(dir.path / "lib/sessions");
    std::ofstream(dir.path / "lib/room.json")
        << R"({"room":"r","audio":{"sample_rate":48000,"outputs":[{"id":"room","channels":[1,2]}],"max_volume_db":0}})";
    std::ofstream(dir.path / "lib/playlists/p.json") << R"({"tracks":[{"file":"audio/ramp.wav"}]})";
    std::ofstream(dir.path / "lib/sessions/s.json")
        << R"({"name":"S","phases":[{"id":"a","duration":"20m","playlist":"p","volume_db":-6,"fade":"0s"}]})";
    Problems problems;
    Library lib = load_library(dir.path / "lib", problems);
    INFO(problems.to_string());
    REQUIRE(lib.templates.count("s") == 1);

    ManualClock clock;
    ManualDeviceClock device_clock;
    SlowOpen slow;
    AudioDriverOptions o = manual_options(dir.path / "lib", slow);
    o.config = *lib.room.audio;
    o.sink = AudioSink::Manual;
    AudioDriver audio(o, clock, device_clock, {}, {});
    audio.start();
    Room room(lib, dir.path / "state", clock);
    room.add_driver(&audio);

    REQUIRE(room.start({"s", ""}).ok); // plays the first track: its file is now loading
    REQUIRE(slow.wait_entered(1));
    Command volume;
    volume.kind = CommandKind::Volume;
    volume.volume_how = VolumeHow::Step;
    volume.db = -3;
    const auto t0 = std::chrono::steady_clock::now();
    const CommandResult r = room.command(volume);
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(r.ok);
    CHECK(slow.still_blocked()); // the command did not wait for the file (which never loads until
                                 // released)
    // Bounded: the command's own work includes its journal record's fdatasync, which a
    // loaded disk can stretch; the load it no longer waits for is unbounded here.
    MESSAGE("Room::command while a file loads: ",
            std::chrono::duration<double, std::milli>(took).count(), " ms");
    CHECK(took < std::chrono::milliseconds(250));
    slow.release();
    audio.wait_idle();
    CHECK(first_sound(render_frames(audio, kRate / 2)) >= 0); // and the track plays once loaded
}

TEST_CASE("mixer commands due on the same frame apply in the order they were posted") {
    MixerConfig config;
    config.max_volume_db = 0;
    Mixer mixer(config);
    auto constant_voice = [] {
        auto v = std::make_unique<Voice>(kRate);
        std::vector<float> buf(static_cast<std::size_t>(2 * kRate), 0.25f);
        v->ring.write(buf.data(), kRate);
        v->decoded_all = true;
        return v;
    };
    auto a = constant_voice();
    auto b = constant_voice();
    MixerCommand c;
    c.kind = MixerCommand::Kind::SetVolume;
    c.db = 0;
    REQUIRE(mixer.post(c));
    // Start a, stop the music, start b: all on frame 100. b must be what plays.
    c = {};
    c.kind = MixerCommand::Kind::StartVoice;
    c.at = 100;
    c.voice = a.get();
    REQUIRE(mixer.post(c));
    c.kind = MixerCommand::Kind::StopMusic;
    c.voice = nullptr;
    REQUIRE(mixer.post(c));
    c.kind = MixerCommand::Kind::StartVoice;
    c.voice = b.get();
    REQUIRE(mixer.post(c));
    std::vector<float> out(2 * 1024);
    for (int i = 0; i < 20; ++i)
        mixer.process(out.data(), 1024);
    CHECK(out[0] == doctest::Approx(0.25f).epsilon(1e-3));
}
