// EBU R128 loudness (libebur128, wrapped here once; the true peak is true_peak.hpp's): integrated
// loudness and true peak of a file, measured once and cached beside the library in
// .loudness-cache.json, keyed by path, size and modification time.
#pragma once

#include "playlists/true_peak.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

inline constexpr double kLoudnessTarget = -23.0; // LUFS (EBU R128)
inline constexpr double kMaxNormalisationGainDb = 20.0;
// The loudness scan of a library never runs more threads than this, however many cores.
inline constexpr unsigned kMaxScanThreads = 16;

struct Loudness {
    double integrated_lufs = -70; // -70 or below: silence
    double true_peak_dbtp = -70;
    double duration_s = 0;
    int sample_rate = 0;
    int channels = 0;
};

// Files longer than this are not measured (a 2 GB sparse WAV would cost minutes of CPU):
// they play at their own level, and the library says so.
inline constexpr std::int64_t kMaxMeasuredSeconds = 2 * 3600;
// True if a file of `frames` at `sample_rate` is too long to measure.
inline bool too_long_to_measure(std::int64_t frames, int sample_rate) {
    return sample_rate > 0 && frames / sample_rate > kMaxMeasuredSeconds;
}

// An EBU R128 meter fed block by block (integrated loudness and true peak), for code that
// decodes a file anyway (the upload check). Not copyable; one thread at a time.
class LoudnessMeter {
public:
    LoudnessMeter(int channels, int sample_rate); // ok() is false if it cannot start
    ~LoudnessMeter();
    LoudnessMeter(const LoudnessMeter&) = delete;
    LoudnessMeter& operator=(const LoudnessMeter&) = delete;
    bool ok() const { return state_ != nullptr; }
    // Interleaved float frames, in order.
    void add(const float* interleaved, std::int64_t frames);
    // For a meter that measures a part of a file starting at frame F (> 0): the
    // loudness_lead_in() frames before F, given before the first add(). They complete the
    // loudness blocks that end inside the part and fill the true peak's interpolator, and
    // count for nothing else, so the parts of a file measured this way, combined, give what
    // one pass over it gives (the blocks are the same; only the K-weighting filter starts
    // afresh, a difference far below 0.01 LU: tests/unit/test_loudness_parts.cpp).
    void lead_in(const float* interleaved, std::int64_t frames);
    // The loudness of everything added so far.
    Loudness result() const;
    // The loudness of consecutive parts of one file, each measured by its own meter.
    static Loudness combine(const std::vector<const LoudnessMeter*>& parts);

private:
    void* state_ = nullptr; // ebur128_state (an unnamed struct in ebur128.h)
    int channels_ = 0, sample_rate_ = 0;
    TruePeakMeter true_peak_; // libebur128's interpolator, vectorised (true_peak.hpp)
    std::int64_t frames_ = 0;
};

// The frames of audio before a part that its meter needs (LoudnessMeter::lead_in): three
// of libebur128's 100 ms steps ((rate + 5) / 10 frames each). A part must start at a
// multiple of that step.
std::int64_t loudness_lead_in(int sample_rate);
// libebur128's 100 ms step in frames ((rate + 5) / 10): where a part may start.
std::int64_t loudness_step(int sample_rate);

// Measures frames [from, to) of an opened file into `meter` (with its lead-in when from >
// 0). False with *error when the file ends early, cannot be read, or `cancel` became true.
class AudioSource;
bool measure_part(AudioSource& file, std::int64_t from, std::int64_t to, LoudnessMeter& meter,
                  std::string* error, const std::atomic<bool>* cancel = nullptr);

// Measures a file (at most kMaxMeasuredSeconds of it). nullopt with *error when it cannot be
// decoded, is too long, or `cancel` became true.
std::optional<Loudness> measure_loudness(const std::filesystem::path& file, std::string* error,
                                         const std::atomic<bool>* cancel = nullptr);

// The gain that brings a track to the target, limited so a quiet or silent file is not
// boosted by more than kMaxNormalisationGainDb.
double normalisation_gain_db(const Loudness& l, double target_lufs = kLoudnessTarget);

// The gain that brings a one-shot sound to the music's reference level (the target): like
// a track's, but never limited downwards (a loud chime is always brought down), and a sound
// too short to gate (under 0.4 s: no integrated loudness) is taken as loud as its true
// peak, which never underestimates it.
double sound_normalisation_db(const Loudness& l, double target_lufs = kLoudnessTarget);

class LoudnessWorker;

class LoudnessCache {
public:
    // With a worker, files not yet measured are handed to it and get() does not wait.
    explicit LoudnessCache(std::filesystem::path library_dir, LoudnessWorker* worker = nullptr);
    // Measured or cached loudness of a library-relative file. Thread-safe. With a worker, a
    // file not measured yet gives nullopt and *pending = true (it is being measured).
    std::optional<Loudness> get(const std::string& file, std::string* error,
                                bool* pending = nullptr);
    // Measures the files of `files` (library-relative) that are not cached yet, on up to
    // `threads` threads at once (0: one per core, std::thread::hardware_concurrency(), at most
    // kMaxScanThreads), so a new library's first load decodes on every core. A file longer
    // than a minute is measured in parts of about 30 s (LoudnessMeter::lead_in), so three
    // long layers keep two cores busy to the end. The results
    // land in this cache under its lock, a failure too (get() then answers its reason
    // without measuring again); only save() writes the cache file (one writer). Runs on: the
    // calling thread, which waits for the scan. With a worker it does nothing (the worker
    // measures in the background).
    void prefetch(const std::vector<std::string>& files, unsigned threads = 0);
    // The loudness of `file` if the cache holds it for the file as it is now; never measures.
    std::optional<Loudness> cached(const std::string& file);
    // Writes the cache file atomically if anything changed.
    void save();

private:
    std::filesystem::path dir_;
    LoudnessWorker* worker_ = nullptr;
    std::mutex mutex_;
    std::map<std::string, std::pair<std::string, Loudness>> entries_;   // file -> (stamp, value)
    std::map<std::string, std::pair<std::string, std::string>> failed_; // file -> (stamp, why)
    bool dirty_ = false;
};

} // namespace stillroom
