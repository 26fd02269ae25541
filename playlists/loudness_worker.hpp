// Loudness measured off the request thread. The room daemon measures a new or changed file
// here, one at a time on one thread, each bounded to kMaxMeasuredSeconds of audio; until it
// is done the file plays at its own level and the library says "loudness analysis pending".
// The command line measures inline (LoudnessCache without a worker).
#pragma once

#include "playlists/loudness.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace stillroom {

class LoudnessWorker {
public:
    // `on_idle` runs on the worker thread each time the queue empties after a measurement
    // (the room reloads the library to take the new gains).
    explicit LoudnessWorker(std::function<void()> on_idle = nullptr);
    ~LoudnessWorker(); // stops a measurement in progress and joins
    LoudnessWorker(const LoudnessWorker&) = delete;
    LoudnessWorker& operator=(const LoudnessWorker&) = delete;

    enum class Status { Measured, Failed, Pending };
    // The result for `file` (library-relative, at `path`, in the version `stamp`) if it has
    // been measured; otherwise queues it once and says Pending. Runs on: any thread; never
    // waits for a measurement.
    Status lookup(const std::string& file, const std::filesystem::path& path,
                  const std::string& stamp, Loudness* out, std::string* error);
    // Library-relative files queued or being measured. Any thread.
    std::vector<std::string> pending() const;

private:
    struct Job {
        std::string file;
        std::filesystem::path path;
        std::string stamp;
    };
    struct Result {
        bool ok = false;
        Loudness loudness;
        std::string error;
    };
    void loop();
    std::function<void()> on_idle_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> queue_;
    std::string busy_;                      // the key being measured
    std::string busy_file_;                 // and its library-relative name
    std::map<std::string, Result> results_; // path + "\n" + stamp -> result
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

} // namespace stillroom
