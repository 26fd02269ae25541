// Output group gains changed while the room plays (a clinic saves room.json): the mixer ramps
// the group to its new gain on the mix thread, never a step, touches no other group, and
// allocates, locks and waits for nothing while it does.
#include "alloc_counter.hpp"
#include "temp_dir.hpp"

#include "playlists/audio_engine.hpp"
#include "playlists/sndfile.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace stillroom;
using namespace stillroom::test;

namespace {

// Five seconds of a constant 0.5 on both channels: every change of the output is the gain.
bool write_dc(const std::filesystem::path& path) {
    std::string error;
    auto f = SndFile::open_write(path, 48000, 2, AudioFormat::WavFloat, &error);
    if (!f) return false;
    std::vector<float> buf(48000 * 5 * 2, 0.5f);
    return f->write(buf.data(), 48000 * 5) == 48000 * 5;
}

} // namespace

TEST_CASE("a saved output gain ramps on the running mix: no step, other groups untouched, nothing "
          "allocated") {
    TempDir dir;
    REQUIRE(write_dc(dir.path / "dc.wav"));
    MixerConfig config;
    config.device_channels = 4;
    config.max_volume_db = 0;
    config.groups = {{{0, 1}, 1.0f}, {{2, 3}, 1.0f}};
    Mixer mixer(config);
    AudioEngine audio({dir.path, 4, 2}, mixer, nullptr);
    audio.handle({Ms{0}, SetVolume{0, Ms{0}}}, 0);
    audio.handle(
        {Ms{0}, PlayTrack{"p", 0, TrackInfo{"dc.wav", "dc", "", Ms{0}, Ms{5000}, 0}, Ms{0}, Ms{0}}},
        0);

    constexpr int kBlock = 512;
    std::vector<float> out(kBlock * 4);
    std::vector<float> room, headphones; // channel 0 and channel 2, every frame
    std::size_t allocations = 0, locks = 0, waits = 0;
    const std::int64_t change_at = 48000; // 1 s in
    const std::int64_t ramp = 2 * 48000;  // the driver's 2 s
    for (int block = 0; block < 4 * 48000 / kBlock; ++block) {
        if (mixer.frame() <= change_at && mixer.frame() + kBlock > change_at)
            audio.set_group_gain(1, -12, change_at, ramp); // control thread, as the driver does
        {
            AllocationWatch watch;
            mixer.process(out.data(), kBlock);
            allocations += watch.count();
            locks += watch.locks();
            waits += watch.waits();
        }
        for (int i = 0; i < kBlock; ++i) {
            room.push_back(out[static_cast<std::size_t>(i * 4)]);
            headphones.push_back(out[static_cast<std::size_t>(i * 4 + 2)]);
        }
        audio.service();
        audio.collect();
    }
    CHECK(allocations == 0);
    CHECK(locks == 0);
    CHECK(waits == 0);

    // Settled (after the fade-in and the limiter's delay) before the change: both at 0.5.
    const auto lat = static_cast<std::size_t>(Mixer::latency_frames());
    const std::size_t before = static_cast<std::size_t>(change_at) - 100;
    CHECK(room[before] == doctest::Approx(0.5).epsilon(0.01));
    CHECK(headphones[before] == doctest::Approx(0.5).epsilon(0.01));
    // After the ramp: the headphones 12 dB down, the room where it was.
    const std::size_t after = static_cast<std::size_t>(change_at + ramp) + lat + 100;
    CHECK(headphones[after] == doctest::Approx(0.5 * std::pow(10.0, -12.0 / 20.0)).epsilon(0.01));
    CHECK(room[after] == doctest::Approx(0.5).epsilon(0.01));
    CHECK(mixer.group_gain_db(1) == doctest::Approx(-12));
    CHECK(mixer.group_gain_db(0) == doctest::Approx(0));
    CHECK(std::isnan(mixer.group_gain_db(2)));
    // A ramp, not a step: the largest sample-to-sample change during the change is tiny
    // (a step would move 0.375 at once), it is spread over the ramp, and it only goes down.
    double max_step = 0, room_step = 0;
    std::size_t moving = 0;
    for (std::size_t i = before; i < after; ++i) {
        const double d = headphones[i] - headphones[i - 1];
        CHECK(d <= 1e-6);
        max_step = std::max(max_step, std::fabs(d));
        room_step = std::max(room_step, std::fabs(static_cast<double>(room[i] - room[i - 1])));
        if (std::fabs(d) > 1e-7) ++moving;
    }
    CAPTURE(max_step);
    CHECK(max_step < 1e-4);
    CHECK(moving > static_cast<std::size_t>(ramp) / 2);
    CHECK(room_step < 1e-6);
    // A new target mid-ramp continues from where the gain is: still no step.
    audio.set_group_gain(1, 0, mixer.frame() + 10, 4800);
    audio.set_group_gain(1, -6, mixer.frame() + 2400, 4800);
    float last = out[static_cast<std::size_t>((kBlock - 1) * 4 + 2)];
    double step = 0;
    for (int block = 0; block < 40; ++block) {
        mixer.process(out.data(), kBlock);
        for (int i = 0; i < kBlock; ++i) {
            const float v = out[static_cast<std::size_t>(i * 4 + 2)];
            step = std::max(step, std::fabs(static_cast<double>(v - last)));
            last = v;
        }
        audio.service();
        audio.collect();
    }
    CHECK(step < 1e-3);
    CHECK(last == doctest::Approx(0.5 * std::pow(10.0, -6.0 / 20.0)).epsilon(0.01));
}
