// The loudness cache, and a new library's scan on every core (the meter:
// loudness_meter.cpp).
#include "playlists/loudness.hpp"

#include "engine/json_reader.hpp"
#include "engine/library_path.hpp"
#include "playlists/audio_source.hpp"
#include "playlists/loudness_worker.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace stillroom {

namespace fs = std::filesystem;

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

namespace {

// A file longer than two parts is measured in parts of about this long, each on its own.
constexpr std::int64_t kPartSeconds = 30;

} // namespace

void LoudnessCache::prefetch(const std::vector<std::string>& files, unsigned threads) {
    if (worker_) return;
    struct Job {
        std::string file;
        fs::path path;
        std::string stamp;
        std::string error;                                 // the first part's to fail says why
        std::vector<std::unique_ptr<LoudnessMeter>> parts; // one per part, in order
    };
    struct Part {
        std::size_t job;
        std::size_t index;     // its place among its file's parts
        std::int64_t from, to; // to < 0: the whole file
    };
    std::vector<Job> jobs;
    {
        std::lock_guard lock(mutex_);
        for (const auto& file : files) {
            std::string error;
            const auto resolved = resolve_in_library(dir_, file, &error);
            if (!resolved) continue; // get() says why
            Job job{file, *resolved, stamp_of(*resolved), {}, {}};
            auto it = entries_.find(file);
            if (job.stamp.empty() || (it != entries_.end() && it->second.first == job.stamp))
                continue;
            if (std::any_of(jobs.begin(), jobs.end(), [&](const Job& j) { return j.file == file; }))
                continue;
            jobs.push_back(std::move(job));
        }
    }
    if (jobs.empty()) return;
    // The parts: a file that cannot be opened or is too long is one part, which fails with
    // measure_loudness's reason.
    std::vector<Part> parts;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
        std::string error;
        const auto info = probe_audio(jobs[j].path, &error);
        std::int64_t step = 0;
        if (info && info->sample_rate > 0 && !too_long_to_measure(info->frames, info->sample_rate))
            step = kPartSeconds * 10 * loudness_step(info->sample_rate);
        if (step == 0 || info->frames < 2 * step) {
            parts.push_back({j, 0, 0, -1});
            jobs[j].parts.emplace_back();
            continue;
        }
        for (std::int64_t from = 0; from < info->frames; from += step) {
            parts.push_back({j, jobs[j].parts.size(), from, std::min(info->frames, from + step)});
            jobs[j].parts.emplace_back();
        }
    }
    // Whole files first (up to two parts long), so no long one is left for the end.
    std::vector<std::size_t> order(parts.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return (parts[a].to < 0) > (parts[b].to < 0);
    });
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    threads = std::min({threads, kMaxScanThreads, static_cast<unsigned>(parts.size())});
    std::mutex jobs_mutex;
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i = next++; i < order.size(); i = next++) {
            const Part& part = parts[order[i]];
            Job& job = jobs[part.job];
            std::string error;
            std::unique_ptr<LoudnessMeter> meter;
            try { // nothing may escape a scan thread (std::terminate); the file says why
                if (part.to < 0) {
                    if (auto l = measure_loudness(job.path, &error)) {
                        std::lock_guard lock(mutex_);
                        entries_[job.file] = {job.stamp, *l};
                        failed_.erase(job.file);
                        dirty_ = true;
                        continue;
                    }
                } else if (auto f = open_audio(job.path, &error)) {
                    meter =
                        std::make_unique<LoudnessMeter>(f->info().channels, f->info().sample_rate);
                    if (!meter->ok()) error = "cannot start the loudness meter";
                    if (!meter->ok() || !measure_part(*f, part.from, part.to, *meter, &error))
                        meter.reset();
                }
            } catch (const std::exception& e) {
                error = std::string("cannot measure: ") + e.what();
                meter.reset();
            }
            std::lock_guard lock(jobs_mutex);
            if (meter)
                job.parts[part.index] = std::move(meter);
            else if (job.error.empty())
                job.error = error.empty() ? "cannot measure" : error;
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
    std::lock_guard lock(mutex_);
    for (Job& job : jobs) {
        if (!job.error.empty()) {
            failed_[job.file] = {job.stamp, job.error};
            continue;
        }
        std::vector<const LoudnessMeter*> measured;
        for (const auto& m : job.parts)
            if (m) measured.push_back(m.get());
        if (measured.size() != job.parts.size() || job.parts.size() < 2)
            continue; // measured whole (above)
        entries_[job.file] = {job.stamp, LoudnessMeter::combine(measured)};
        failed_.erase(job.file);
        dirty_ = true;
    }
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
