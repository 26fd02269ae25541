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
#include <system_error>
#include <thread>
#include <vector>

namespace stillroom {

namespace fs = std::filesystem;

namespace {
ebur128_state* meter_state(void* p) {
    return static_cast<ebur128_state*>(p);
}
} // namespace

LoudnessMeter::LoudnessMeter(int channels, int sample_rate)
    : channels_(channels), sample_rate_(sample_rate) {
    if (channels <= 0 || sample_rate <= 0) return;
    ebur128_state* st =
        ebur128_init(static_cast<unsigned>(channels), static_cast<unsigned long>(sample_rate),
                     EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    // A mono file plays on both sides of the room: measure it as it will be heard.
    if (st && channels == 1) ebur128_set_channel(st, 0, EBUR128_DUAL_MONO);
    state_ = st;
}

LoudnessMeter::~LoudnessMeter() {
    ebur128_state* st = meter_state(state_);
    if (st) ebur128_destroy(&st);
}

void LoudnessMeter::add(const float* interleaved, std::int64_t frames) {
    if (!state_ || frames <= 0) return;
    ebur128_add_frames_float(meter_state(state_), interleaved, static_cast<std::size_t>(frames));
    frames_ += frames;
}

Loudness LoudnessMeter::result() const {
    Loudness l;
    if (!state_) return l;
    double v = 0;
    ebur128_state* st = meter_state(state_);
    if (ebur128_loudness_global(st, &v) == EBUR128_SUCCESS && std::isfinite(v))
        l.integrated_lufs = v;
    double peak = 0;
    for (int c = 0; c < channels_; ++c) {
        double p = 0;
        if (ebur128_true_peak(st, static_cast<unsigned>(c), &p) == EBUR128_SUCCESS)
            peak = std::max(peak, p);
    }
    l.true_peak_dbtp = peak > 0 ? 20.0 * std::log10(peak) : -70;
    l.duration_s = static_cast<double>(frames_) / sample_rate_;
    l.sample_rate = sample_rate_;
    l.channels = channels_;
    return l;
}

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
    LoudnessMeter meter(info.channels, info.sample_rate);
    if (!meter.ok()) {
        if (error) *error = "cannot start the loudness meter";
        return std::nullopt;
    }
    std::vector<float> buf(static_cast<std::size_t>(8192 * info.channels));
    std::int64_t total = 0;
    for (;;) {
        if (cancel && cancel->load(std::memory_order_relaxed)) break;
        if (total >= max_frames) break;
        const auto n = f->read(buf.data(), 8192);
        if (n <= 0) break;
        meter.add(buf.data(), n);
        total += n;
    }
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
    return meter.result();
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
        if (auto f = failed_.find(file);
            f != failed_.end() && !stamp.empty() && f->second.first == stamp) {
            if (error) *error = f->second.second; // prefetch() measured it and failed
            return std::nullopt;
        }
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

std::optional<Loudness> LoudnessCache::cached(const std::string& file) {
    const auto resolved = resolve_in_library(dir_, file, nullptr);
    if (!resolved) return std::nullopt;
    const std::string stamp = stamp_of(*resolved);
    std::lock_guard lock(mutex_);
    auto it = entries_.find(file);
    if (it == entries_.end() || stamp.empty() || it->second.first != stamp) return std::nullopt;
    return it->second.second;
}

void LoudnessCache::prefetch(const std::vector<std::string>& files, unsigned threads) {
    if (worker_) return;
    struct Job {
        std::string file;
        fs::path path;
        std::string stamp;
    };
    std::vector<Job> jobs;
    {
        std::lock_guard lock(mutex_);
        for (const auto& file : files) {
            std::string error;
            const auto resolved = resolve_in_library(dir_, file, &error);
            if (!resolved) continue; // get() says why
            Job job{file, *resolved, stamp_of(*resolved)};
            auto it = entries_.find(file);
            if (job.stamp.empty() || (it != entries_.end() && it->second.first == job.stamp))
                continue;
            if (std::any_of(jobs.begin(), jobs.end(), [&](const Job& j) { return j.file == file; }))
                continue;
            jobs.push_back(std::move(job));
        }
    }
    if (jobs.empty()) return;
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    threads = std::min({threads, kMaxScanThreads, static_cast<unsigned>(jobs.size())});
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i = next++; i < jobs.size(); i = next++) {
            const Job& job = jobs[i];
            std::string error;
            std::optional<Loudness> l;
            try { // nothing may escape a scan thread (std::terminate); the file says why
                l = measure_loudness(job.path, &error);
            } catch (const std::exception& e) {
                error = std::string("cannot measure: ") + e.what();
            }
            std::lock_guard lock(mutex_);
            if (l) {
                entries_[job.file] = {job.stamp, *l};
                failed_.erase(job.file);
                dirty_ = true;
            } else {
                failed_[job.file] = {job.stamp, error};
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) {
        try {
            pool.emplace_back(work);
        } catch (const std::system_error&) {
            break; // no thread to be had: the ones running (and this one) share the files
        }
    }
    work(); // the calling thread is one of them
    for (auto& t : pool)
        t.join();
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
