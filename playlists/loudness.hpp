// EBU R128 loudness (libebur128, wrapped here once): integrated loudness and true peak of
// a file, measured once and cached beside the library in .loudness-cache.json, keyed by
// path, size and modification time.
#pragma once

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

// Measures a file. nullopt with *error when it cannot be decoded.
std::optional<Loudness> measure_loudness(const std::filesystem::path& file, std::string* error);

// The gain that brings a track to the target, limited so a quiet or silent file is not
// boosted by more than kMaxNormalisationGainDb.
double normalisation_gain_db(const Loudness& l, double target_lufs = kLoudnessTarget);

class LoudnessCache {
public:
    explicit LoudnessCache(std::filesystem::path library_dir);
    // Measured or cached loudness of a library-relative file. Thread-safe.
    std::optional<Loudness> get(const std::string& file, std::string* error);
    // Writes the cache file atomically if anything changed.
    void save();

private:
    std::filesystem::path dir_;
    std::mutex mutex_;
    std::map<std::string, std::pair<std::string, Loudness>> entries_; // file -> (stamp, value)
    bool dirty_ = false;
};

} // namespace stillroom
