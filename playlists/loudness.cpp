// Loudness measurement and its cache.
#include "playlists/loudness.hpp"

#include "engine/json_reader.hpp"
#include "engine/library_path.hpp"
#include "playlists/audio_source.hpp"
#include "playlists/loudness_worker.hpp"

#include <ebur128.h>

#include <algorithm>

#include <cmath>
#include <fstream>
#include <vector>

namespace stillroom {

namespace fs = std::filesystem;

std::optional<Loudness> measure_loudness(const fs::path& file, std::string* error,
                                         const std::atomic<bool>* cancel) {
    auto f = open_audio(file, error);
    if (!f) return std::nullopt;
    const auto& info = f->info();
    if (too_long_to_measure(info.frames, info.sample_rate)) {
        if (error)
            *error =
                "longer than " + std::to_string(kMaxMeasuredSeconds / 3600) + " h: not measured";
        return std::nullopt;
    }
    // Never more than the bound, whatever the header said.
    const std::int64_t max_frames = (kMaxMeasuredSeconds + 1) * info.sample_rate;
    ebur128_state* st = ebur128_init(static_cast<unsigned>(info.channels),
                                     static_cast<unsigned long>(info.sample_rate),
                                     EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    if (!st) {
        if (error) *error = "cannot start the loudness meter";
        return std::nullopt;
    }
    // A mono file plays on both sides of the room: measure it as it will be heard.
    if (info.channels == 1) ebur128_set_channel(st, 0, EBUR128_DUAL_MONO);
    std::vector<float> buf(static_cast<std::size_t>(8192 * info.channels));
    std::int64_t total = 0;
    for (;;) {
        if (cancel && cancel->load(std::memory_order_relaxed)) break;
        if (total >= max_frames) break;
        const auto n = f->read(buf.data(), 8192);
        if (n <= 0) break;
        ebur128_add_frames_float(st, buf.data(), static_cast<std::size_t>(n));
        total += n;
    }
    Loudness l;
    double v = 0;
    if (ebur128_loudness_global(st, &v) == EBUR128_SUCCESS && std::isfinite(v))
        l.integrated_lufs = v;
    double peak = 0;
    for (int c = 0; c < info.channels; ++c) {
        double p = 0;
        if (ebur128_true_peak(st, static_cast<unsigned>(c), &p) == EBUR128_SUCCESS)
            peak = std::max(peak, p);
    }
    l.true_peak_dbtp = peak > 0 ? 20.0 * std::log10(peak) : -70;
    l.duration_s = static_cast<double>(total) / info.sample_rate;
    l.sample_rate = info.sample_rate;
    l.channels = info.channels;
    ebur128_destroy(&st);
    if (cancel && cancel->load(std::memory_order_relaxed)) {
        if (error) *error = "measurement stopped";
        return std::nullopt;
    }
    if (total < info.frames) {
        if (error)
            *error = "truncated: " + std::to_string(total) + " of " + std::to_string(info.frames) +
                     " frames";
        return std::nullopt;
    }
    return l;
}

double normalisation_gain_db(const Loudness& l, double target) {
    if (l.integrated_lufs <= -69) return 0; // silence: leave it alone
    return std::clamp(target - l.integrated_lufs, -kMaxNormalisationGainDb,
                      kMaxNormalisationGainDb);
}

double sound_normalisation_db(const Loudness& l, double target) {
    const double level = l.integrated_lufs > -69 ? l.integrated_lufs : l.true_peak_dbtp;
    if (level <= -69) return 0; // silence: leave it alone
    return std::min(target - level, kMaxNormalisationGainDb);
}

namespace {

std::string stamp_of(const fs::path& p) {
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    if (ec) return {};
    const auto mtime = fs::last_write_time(p, ec).time_since_epoch().count();
    return "2:" + std::to_string(size) + ":" +
           std::to_string(mtime); // 2: mono measured as dual mono
}

} // namespace

LoudnessCache::LoudnessCache(fs::path dir, LoudnessWorker* worker)
    : dir_(std::move(dir)), worker_(worker) {
    std::ifstream in(dir_ / ".loudness-cache.json");
    if (!in) return;
    Json j = Json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return; // a damaged cache is simply rebuilt
    for (const auto& [file, e] : j.items()) {
        if (!e.is_object()) continue;
        Loudness l;
        l.integrated_lufs = e.value("lufs", -70.0);
        l.true_peak_dbtp = e.value("true_peak_dbtp", -70.0);
        l.duration_s = e.value("duration_s", 0.0);
        l.sample_rate = e.value("sample_rate", 0);
        l.channels = e.value("channels", 0);
        entries_[file] = {e.value("stamp", ""), l};
    }
}

std::optional<Loudness> LoudnessCache::get(const std::string& file, std::string* error,
                                           bool* pending) {
    if (pending) *pending = false;
    const auto resolved = resolve_in_library(dir_, file, error); // inside the library only
    if (!resolved) return std::nullopt;
    const fs::path& path = *resolved;
    const std::string stamp = stamp_of(path);
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(file);
        if (it != entries_.end() && !stamp.empty() && it->second.first == stamp)
            return it->second.second;
    }
    std::optional<Loudness> l;
    if (worker_) {
        Loudness measured;
        switch (worker_->lookup(file, path, stamp, &measured, error)) {
        case LoudnessWorker::Status::Measured:
            l = measured;
            break;
        case LoudnessWorker::Status::Failed:
            return std::nullopt;
        case LoudnessWorker::Status::Pending:
            if (pending) *pending = true;
            return std::nullopt;
        }
    } else {
        l = measure_loudness(path, error);
    }
    if (!l) return std::nullopt;
    std::lock_guard lock(mutex_);
    entries_[file] = {stamp, *l};
    dirty_ = true;
    return l;
}

void LoudnessCache::save() {
    std::lock_guard lock(mutex_);
    if (!dirty_) return;
    Json j = Json::object();
    for (const auto& [file, e] : entries_)
        j[file] = {{"stamp", e.first},
                   {"lufs", e.second.integrated_lufs},
                   {"true_peak_dbtp", e.second.true_peak_dbtp},
                   {"duration_s", e.second.duration_s},
                   {"sample_rate", e.second.sample_rate},
                   {"channels", e.second.channels}};
    const fs::path tmp = dir_ / ".loudness-cache.json.tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        if (!out) return; // a read-only library: measure again next time
        out << dump_json(j, 1) << "\n";
    }
    std::error_code ec;
    fs::rename(tmp, dir_ / ".loudness-cache.json", ec);
    dirty_ = !ec ? false : dirty_;
}

} // namespace stillroom
