// The true-peak meter (playlists/true_peak.hpp) against libebur128's own (the interpolator
// it copies): the same value on the signals where true and sample peaks differ most (a
// tone at a quarter of the rate, half-way between its samples), on noise, at every
// oversampling factor and channel count, fed in any block sizes; and a late peak after a
// loud start (where blocks are skipped) is not missed.
#include "playlists/true_peak.hpp"

#include <doctest/doctest.h>
#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace stillroom;

namespace {

// libebur128's true peak (the largest over the channels), as the reference.
double reference_peak(const std::vector<float>& x, int channels, int rate) {
    ebur128_state* st = ebur128_init(static_cast<unsigned>(channels),
                                     static_cast<unsigned long>(rate), EBUR128_MODE_TRUE_PEAK);
    REQUIRE(st);
    ebur128_add_frames_float(st, x.data(), x.size() / static_cast<std::size_t>(channels));
    double peak = 0;
    for (int c = 0; c < channels; ++c) {
        double p = 0;
        REQUIRE(ebur128_true_peak(st, static_cast<unsigned>(c), &p) == EBUR128_SUCCESS);
        peak = std::max(peak, p);
    }
    ebur128_destroy(&st);
    return peak;
}

double meter_peak(const std::vector<float>& x, int channels, int rate,
                  const std::vector<int>& chunks = {}) {
    TruePeakMeter meter(channels, rate);
    const auto frames = static_cast<std::int64_t>(x.size()) / channels;
    std::int64_t at = 0;
    for (std::size_t i = 0; at < frames; ++i) {
        const std::int64_t n = chunks.empty()
                                   ? frames
                                   : std::min<std::int64_t>(chunks[i % chunks.size()], frames - at);
        meter.add(x.data() + at * channels, n);
        at += n;
    }
    return meter.peak();
}

double db(double v) {
    return 20 * std::log10(v);
}

// `seconds` of a tone at `hz` with phase `phase`, amplitude `a`, the same on every channel
// but scaled by 1, 0.9, 0.8 ... (so channel 0 holds the peak unless `loud_channel` moves it).
std::vector<float> tone(int channels, int rate, double hz, double phase, double a, double seconds,
                        int loud_channel = 0) {
    const auto frames = static_cast<std::size_t>(seconds * rate);
    std::vector<float> x(frames * static_cast<std::size_t>(channels));
    for (std::size_t i = 0; i < frames; ++i)
        for (int c = 0; c < channels; ++c) {
            const double scale = c == loud_channel ? 1.0 : 0.9 - 0.1 * c;
            x[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] =
                static_cast<float>(scale * a *
                                   std::sin(2 * M_PI * hz * static_cast<double>(i) / rate + phase));
        }
    return x;
}

} // namespace

TEST_CASE("true peak: the same as libebur128's at every oversampling factor") {
    struct Case {
        const char* what;
        int channels, rate;
        double hz, phase;
        int loud_channel;
    };
    const Case cases[] = {
        {"a quarter of 48 kHz, half-way between samples, stereo", 2, 48000, 12000, M_PI / 4, 0},
        {"a quarter of 44.1 kHz, mono", 1, 44100, 11025, M_PI / 4, 0},
        {"near Nyquist at 44.1 kHz, 5.1, the peak on channel 4", 6, 44100, 19000, 0.3, 4},
        {"a low tone at 48 kHz (true = sample peak)", 2, 48000, 100, 0.1, 0},
        {"a quarter of 96 kHz (2x oversampling)", 2, 96000, 24000, M_PI / 4, 1},
        {"192 kHz (no oversampling: the sample peak)", 2, 192000, 48000, M_PI / 4, 0},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        const auto x = tone(c.channels, c.rate, c.hz, c.phase, 0.5, 1.0, c.loud_channel);
        const double ref = reference_peak(x, c.channels, c.rate);
        const double got = meter_peak(x, c.channels, c.rate);
        CAPTURE(db(ref));
        CAPTURE(db(got));
        CHECK(std::fabs(db(got) - db(ref)) < 0.001);
    }
}

TEST_CASE("true peak: an inter-sample peak is found, about 3 dB over the samples") {
    const auto x = tone(2, 48000, 12000, M_PI / 4, 0.5, 0.5);
    float sample_peak = 0;
    for (float v : x)
        sample_peak = std::max(sample_peak, std::fabs(v));
    const double got = meter_peak(x, 2, 48000);
    CHECK(db(sample_peak) == doctest::Approx(db(0.5 * std::sqrt(0.5))).epsilon(0.001));
    CHECK(db(got) - db(sample_peak) > 2.5);
    CHECK(db(got) == doctest::Approx(db(reference_peak(x, 2, 48000))).epsilon(0.0001));
}

TEST_CASE("true peak: noise fed in any block sizes gives one value, libebur128's") {
    std::mt19937 rng(22);
    std::normal_distribution<float> n(0.0f, 0.2f);
    std::vector<float> x(2 * 44100 * 3);
    for (auto& v : x)
        v = std::clamp(n(rng), -1.0f, 1.0f);
    const double ref = reference_peak(x, 2, 44100);
    for (const std::vector<int>& chunks :
         {std::vector<int>{}, {1}, {7, 13}, {511, 512, 513}, {4096}, {100000}}) {
        CAPTURE(chunks.size());
        CAPTURE(chunks.empty() ? 0 : chunks[0]);
        CHECK(std::fabs(db(meter_peak(x, 2, 44100, chunks)) - db(ref)) < 0.001);
    }
}

TEST_CASE("true peak: a late inter-sample peak after a loud start is not skipped") {
    // A loud low tone (its true peak = its sample peak), then quiet, then a short burst at a
    // quarter of the rate whose samples stay under the first tone's peak but whose true peak
    // passes it: the blocks before the burst are skipped, the burst's are not.
    const int rate = 48000;
    auto x = tone(2, rate, 50, 0, 0.6, 1.0);
    const auto quiet = tone(2, rate, 440, 0, 0.01, 2.0);
    const auto burst = tone(2, rate, 12000, M_PI / 4, 0.8, 0.02);
    x.insert(x.end(), quiet.begin(), quiet.end());
    x.insert(x.end(), burst.begin(), burst.end());
    x.insert(x.end(), quiet.begin(), quiet.end());
    const double got = meter_peak(x, 2, rate, {333});
    const double ref = reference_peak(x, 2, rate);
    CHECK(got > 0.75); // the burst's true peak (0.8), not the tone's 0.6 nor its samples' 0.57
    CHECK(std::fabs(db(got) - db(ref)) < 0.001);
}

TEST_CASE("true peak: a meter primed with what came before measures its part as one pass") {
    // A tone that fades in and holds: one pass never rings. Split in the middle: the second
    // part's meter, primed with the first's end, rings no more than the whole; unprimed it
    // would see a step from silence and ring above it.
    const int rate = 48000;
    auto x = tone(2, rate, 40, M_PI / 2, 0.9, 1.0);
    for (std::size_t i = 0; i < 4800; ++i) // a 0.1 s fade-in
        for (std::size_t c = 0; c < 2; ++c)
            x[2 * i + c] *= static_cast<float>(0.5 - 0.5 * std::cos(M_PI * static_cast<double>(i) / 4800.0));
    const std::int64_t split = rate / 2 + 7;
    TruePeakMeter whole(2, rate), first(2, rate), second(2, rate), unprimed(2, rate);
    whole.add(x.data(), rate);
    first.add(x.data(), split);
    second.prime(x.data(), split - 5); // primed in two goes, as a lead-in arrives
    second.prime(x.data() + 2 * (split - 5), 5);
    second.add(x.data() + 2 * split, rate - split);
    unprimed.add(x.data() + 2 * split, rate - split);
    CHECK(std::max(first.peak(), second.peak()) == whole.peak());
    CHECK(second.peak() <= whole.peak());
    CHECK(unprimed.peak() > whole.peak() * 1.01); // what priming is for
}
