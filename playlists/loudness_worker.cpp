// The loudness worker thread.
#include "playlists/loudness_worker.hpp"

#include <algorithm>

namespace stillroom {

namespace {

std::string key_of(const std::filesystem::path& path, const std::string& stamp) {
    return path.string() + "\n" + stamp;
}

constexpr std::size_t kMaxQueued =
    4096; // more distinct files than any library: the rest wait for a later look

} // namespace

LoudnessWorker::LoudnessWorker(std::function<void()> on_idle) : on_idle_(std::move(on_idle)) {
    thread_ = std::thread([this] { loop(); });
}

LoudnessWorker::~LoudnessWorker() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

LoudnessWorker::Status LoudnessWorker::lookup(const std::string& file,
                                              const std::filesystem::path& path,
                                              const std::string& stamp, Loudness* out,
                                              std::string* error) {
    std::lock_guard lock(mutex_);
    const std::string key = key_of(path, stamp);
    if (auto it = results_.find(key); it != results_.end()) {
        if (it->second.ok) {
            if (out) *out = it->second.loudness;
            return Status::Measured;
        }
        if (error) *error = it->second.error;
        return Status::Failed;
    }
    const bool queued =
        busy_ == key || std::any_of(queue_.begin(), queue_.end(),
                                    [&](const Job& j) { return key_of(j.path, j.stamp) == key; });
    if (!queued && queue_.size() < kMaxQueued) {
        queue_.push_back({file, path, stamp});
        wake_.notify_one();
    }
    if (error) *error = "loudness analysis pending";
    return Status::Pending;
}

std::vector<std::string> LoudnessWorker::pending() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    if (!busy_.empty()) out.push_back(busy_file_);
    for (const auto& j : queue_)
        out.push_back(j.file);
    return out;
}

void LoudnessWorker::loop() {
    // Runs on: the loudness worker thread.
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stop_.load() || !queue_.empty(); });
            if (stop_.load()) return;
            job = std::move(queue_.front());
            queue_.pop_front();
            busy_ = key_of(job.path, job.stamp);
            busy_file_ = job.file;
        }
        Result r;
        auto l = measure_loudness(job.path, &r.error, &stop_);
        if (stop_.load()) return;
        r.ok = l.has_value();
        if (l) r.loudness = *l;
        bool idle = false;
        {
            std::lock_guard lock(mutex_);
            results_[busy_] = std::move(r);
            busy_.clear();
            busy_file_.clear();
            idle = queue_.empty();
        }
        if (idle && on_idle_) on_idle_();
    }
}

} // namespace stillroom
