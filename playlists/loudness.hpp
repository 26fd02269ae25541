// EBU R128 loudness (libebur128, wrapped here once): integrated loudness and true peak of
// a file, measured once and cached beside the library in .loudness-cache.json, keyed by
// path, size and modification time.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace stillroom {

inline constexpr double kLoudnessTarget = -23.0; // LUFS (EBU R128)
inline constexpr double kMaxNormalisationGainDb = 20.0;

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
    // Writes the cache file atomically if anything changed.
    void save();

private:
    std::filesystem::path dir_;
    LoudnessWorker* worker_ = nullptr;
    std::mutex mutex_;
    std::map<std::string, std::pair<std::string, Loudness>> entries_; // file -> (stamp, value)
    bool dirty_ = false;
};

} // namespace stillroom
