// The curator's audio uploads (docs/api.md "Audio files", docs/security.md "Uploads"):
// chunks appended to a hidden part file beside the destination, the finished file checked
// and renamed into place atomically. Bounded in every way an upload can hurt the room:
// - a request only ever does bounded work: the header (length at most `max_length`, 3 h)
//   and a bounded sample (the first and last seconds) are checked inside it; the whole-file
//   decode runs afterwards on one background thread with a time budget, never in a request
//   and never under a lock a request needs; it measures the file's loudness as it goes (a FLAC of
//   26 h of silence in 1 MiB used to decode for 9 s inside the request, under the one upload lock);
// - unfinished uploads expire (`part_lifetime`), their total is capped (`max_parts_total`),
//   they are deleted at start-up, and no chunk is written when it would leave less than
//   `reserve_bytes` free on the disk (kept for the session journal);
// - a file the running session plays cannot be replaced or deleted (409, with the reason).
#pragma once

#include "engine/clock.hpp"
#include "engine/json_reader.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace stillroom {

inline constexpr std::uintmax_t kMaxAudioUpload = std::uintmax_t{1} << 30; // 1 GiB

struct UploadLimits {
    std::uintmax_t max_size = kMaxAudioUpload;   // one file's bytes (413 above)
    Ms max_length{3 * 3'600'000};                // one file's audio (422 above)
    std::uintmax_t max_parts_total = 256u << 20; // every unfinished upload together (507)
    Ms part_lifetime{30 * 60'000};               // an unfinished upload untouched this long goes
    std::uintmax_t reserve_bytes = 64u << 20;    // free space an upload never takes (507)
    Ms sample{5'000};                            // audio decoded inside the request, each end
    Ms check_budget{60'000};                     // the background whole-file decode, per file
    std::size_t max_checks_queued = 32;          // whole-file decodes waiting (more: skipped)
    // Files saved (each an fsync, which the session journal's fdatasync queues behind on the
    // same disk): at most this many a second, in bursts of as many; a last chunk beyond it
    // gets 429 with retry_after, to send again (the curator screen does).
    double max_saves_per_second = 4;
};

struct UploadChunk {
    std::uintmax_t start = 0; // byte offset of this chunk
    std::uintmax_t total = 0; // the whole file's size
};

// Parses "bytes START-END/TOTAL" for a body of `body_size` bytes.
std::optional<UploadChunk> parse_upload_range(const std::string& header, std::size_t body_size,
                                              std::string* error);

struct UploadResult {
    int status = 200; // 202 more expected, 201 saved, 200 deleted, 4xx/5xx refused
    Json body;
};

// Free bytes on the file system holding a path (statvfs); nullopt when it cannot be read.
std::optional<std::uintmax_t> free_disk_space(const std::filesystem::path& path);

class AudioUploads {
public:
    // Why the running session needs a library-relative file (nullopt: it does not).
    using InUse = std::function<std::optional<std::string>(const std::string& relative)>;
    using FreeSpace = std::function<std::optional<std::uintmax_t>(const std::filesystem::path&)>;

    // Deletes every unfinished upload left in the library (a restart ends them) and starts
    // the background checker. `clock` (real time) ages parts and times the checks.
    AudioUploads(std::filesystem::path library_dir, DeviceClock& clock, UploadLimits limits = {},
                 FreeSpace free_space = free_disk_space);
    ~AudioUploads();
    AudioUploads(const AudioUploads&) = delete;
    AudioUploads& operator=(const AudioUploads&) = delete;

    void set_in_use(InUse in_use);
    // One chunk of an upload. Runs on: a request thread; uploads of other files never wait
    // for this one, and nothing here waits for a decode.
    UploadResult receive(const std::string& relative, const UploadChunk& chunk,
                         const std::string& data, bool replace);
    // Deletes a library audio file (not while the running session uses it).
    UploadResult remove(const std::string& relative);
    // The background check of an uploaded file: "pending", "ok", or what is wrong; null when
    // the file was not uploaded since the room started. Runs on: any thread.
    Json check_status(const std::string& relative) const;
    // The integrated loudness (LUFS, EBU R128) the background check measured as it decoded
    // the whole file; null while it is pending, or when the file was not decoded to its end.
    // Runs on: any thread.
    Json lufs(const std::string& relative) const;
    // Waits until no whole-file check is queued or running (tests). Bounded by the budget.
    void wait_checks_idle();
    // Drops unfinished uploads untouched for `part_lifetime`. Runs on: any thread (called by
    // every receive).
    void expire_parts();
    // Bytes held by unfinished uploads now.
    std::uintmax_t parts_total() const;

private:
    struct Part {
        std::filesystem::path path;
        std::uintmax_t size = 0;
        DeviceTime touched{};
    };
    struct Check {
        std::string relative;
        std::filesystem::path path;
        std::int64_t frames = 0;
    };
    std::optional<std::string> in_use_reason(const std::string& relative) const;
    void check_worker();
    void run_check(const Check& check);
    void remove_part_locked(const std::string& relative);
    bool take_save_token(); // false: a save now would pass max_saves_per_second

    std::filesystem::path dir_;
    DeviceClock& clock_;
    UploadLimits limits_;
    FreeSpace free_space_;
    InUse in_use_;

    // Bookkeeping only: no file I/O and no decode under this lock.
    mutable std::mutex mutex_;
    std::map<std::string, Part> parts_;  // by library-relative destination
    std::set<std::string> busy_;         // destinations with a request in progress
    std::map<std::string, Json> checks_; // background check results
    std::map<std::string, double> lufs_; // and the loudness each measured
    double save_tokens_ = 0;             // the saves' bucket (full at the start)
    DeviceTime save_tokens_at_{};        // when it was last filled
    std::deque<Check> queue_;
    bool checking_ = false;
    bool stop_ = false;
    std::condition_variable cv_;
    std::condition_variable idle_cv_;
    std::thread worker_;
};

} // namespace stillroom
