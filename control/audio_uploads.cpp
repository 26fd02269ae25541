// The curator's uploads: bounded chunks, bounded checks, a background whole-file decode.
#include "control/audio_uploads.hpp"

#include "control/api_audio.hpp"
#include "playlists/audio_source.hpp"
#include "playlists/loudness.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

namespace stillroom {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPartTag = ".upload";

// "2:59:00" for a length in ms.
std::string hms(Ms length) {
    const auto s = length.count() / 1000;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
    return buf;
}

std::string mib(std::uintmax_t bytes) {
    return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB";
}

Ms frames_to_ms(std::int64_t frames, int rate) {
    return Ms{rate > 0 ? frames / rate * 1000 + frames % rate * 1000 / rate : 0};
}

bool is_part_name(const std::string& name) {
    return name.size() > 1 && name[0] == '.' && name.find(kPartTag) != std::string::npos;
}

fs::path part_path(const fs::path& dest) {
    return dest.parent_path() /
           ("." + dest.filename().string() + kPartTag + dest.extension().string());
}

bool write_at(const fs::path& path, std::uintmax_t offset, const std::string& data) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    bool ok = ::ftruncate(fd, static_cast<off_t>(offset)) == 0 &&
              ::lseek(fd, static_cast<off_t>(offset), SEEK_SET) >= 0;
    for (std::size_t done = 0; ok && done < data.size();) {
        const auto n = ::write(fd, data.data() + done, data.size() - done);
        if (n <= 0)
            ok = false;
        else
            done += static_cast<std::size_t>(n);
    }
    ::close(fd); // not synced: an unfinished upload does not outlive a restart anyway
    return ok;
}

// The finished file reaches the disk before it is renamed into place.
bool fsync_file(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

void fsync_dir(const fs::path& dir) {
    if (const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
        ::fsync(d);
        ::close(d);
    }
}

// The header and a bounded sample: the first and the last `sample` of audio decode, and the
// length is within the limit. Never decodes more than two samples' worth, whatever the file
// claims. nullopt (with *status and *error) when the file is refused.
std::optional<AudioFileInfo> check_header_and_sample(const fs::path& path,
                                                     const UploadLimits& limits, int* status,
                                                     std::string* error) {
    *status = 400;
    auto f = open_audio(path, error);
    if (!f) return std::nullopt;
    const AudioFileInfo info = f->info();
    if (info.frames <= 0 || info.sample_rate <= 0 || info.channels <= 0 || info.channels > 64) {
        *error = "the file holds no audio";
        return std::nullopt;
    }
    const Ms length = frames_to_ms(info.frames, info.sample_rate);
    if (length > limits.max_length) {
        *status = 422;
        *error = "the audio is " + hms(length) + " long; a file may hold at most " +
                 hms(limits.max_length);
        return std::nullopt;
    }
    const std::int64_t sample = std::max<std::int64_t>(1, limits.sample.count() * info.sample_rate /
                                                              1000); // frames at each end
    std::vector<float> buf(static_cast<std::size_t>(4096 * info.channels));
    auto decode = [&](std::int64_t want) {
        std::int64_t got = 0;
        while (got < want) {
            const auto n = f->read(buf.data(), std::min<std::int64_t>(4096, want - got));
            if (n <= 0) break;
            got += n;
        }
        return got;
    };
    const std::int64_t head = std::min(sample, info.frames);
    if (decode(head) < head) {
        *error = "the start of the file does not decode";
        return std::nullopt;
    }
    const std::int64_t tail_from = std::max<std::int64_t>(head, info.frames - sample);
    if (tail_from < info.frames) {
        const std::int64_t want = info.frames - tail_from;
        if (!f->seek(tail_from) || decode(want) < want) {
            *error = "the file ends early (its end, at " +
                     hms(frames_to_ms(info.frames, info.sample_rate)) + ", does not decode)";
            return std::nullopt;
        }
    }
    return info;
}

} // namespace

std::optional<std::uintmax_t> free_disk_space(const fs::path& path) {
    struct statvfs st {};
    if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
    return static_cast<std::uintmax_t>(st.f_bavail) * st.f_frsize;
}

std::optional<UploadChunk> parse_upload_range(const std::string& header, std::size_t body_size,
                                              std::string* error) {
    UploadChunk c;
    if (header.empty()) { // the whole file in one request
        c.start = 0;
        c.total = body_size;
        return c;
    }
    unsigned long long start = 0, last = 0, total = 0;
    char tail = 0;
    if (std::sscanf(header.c_str(), "bytes %llu-%llu/%llu%c", &start, &last, &total, &tail) != 3 ||
        last < start || last >= total || last - start + 1 != body_size) {
        *error = "Content-Range: expected \"bytes START-END/TOTAL\" matching the body (" +
                 std::to_string(body_size) + " bytes)";
        return std::nullopt;
    }
    c.start = start;
    c.total = total;
    return c;
}

AudioUploads::AudioUploads(fs::path library_dir, DeviceClock& clock, UploadLimits limits,
                           FreeSpace free_space)
    : dir_(std::move(library_dir)), clock_(clock), limits_(limits),
      free_space_(std::move(free_space)), save_tokens_(limits.max_saves_per_second),
      save_tokens_at_(clock.now()) {
    // A restart ends every upload in progress: its part is deleted, the client starts again.
    std::error_code ec;
    std::vector<fs::path> stale;
    for (fs::recursive_directory_iterator it(dir_ / "audio", ec), end; !ec && it != end;
         it.increment(ec))
        if (is_part_name(it->path().filename().string()) && it->is_regular_file(ec))
            stale.push_back(it->path());
    for (const auto& p : stale)
        fs::remove(p, ec);
    worker_ = std::thread([this] { check_worker(); });
}

AudioUploads::~AudioUploads() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
}

void AudioUploads::set_in_use(InUse in_use) {
    std::lock_guard lock(mutex_);
    in_use_ = std::move(in_use);
}

std::optional<std::string> AudioUploads::in_use_reason(const std::string& relative) const {
    InUse in_use;
    {
        std::lock_guard lock(mutex_);
        in_use = in_use_;
    }
    if (!in_use) return std::nullopt;
    return in_use(fs::path(relative).lexically_normal().generic_string());
}

std::uintmax_t AudioUploads::parts_total() const {
    std::lock_guard lock(mutex_);
    std::uintmax_t total = 0;
    for (const auto& [_, p] : parts_)
        total += p.size;
    return total;
}

void AudioUploads::remove_part_locked(const std::string& relative) {
    auto it = parts_.find(relative);
    if (it == parts_.end()) return;
    std::error_code ec;
    fs::remove(it->second.path, ec);
    parts_.erase(it);
}

void AudioUploads::expire_parts() {
    std::lock_guard lock(mutex_);
    const DeviceTime now = clock_.now();
    for (auto it = parts_.begin(); it != parts_.end();) {
        const auto next = std::next(it);
        if (!busy_.count(it->first) && now - it->second.touched >= limits_.part_lifetime)
            remove_part_locked(it->first);
        it = next;
    }
}

UploadResult AudioUploads::receive(const std::string& relative, const UploadChunk& chunk,
                                   const std::string& data, bool replace) {
    expire_parts();
    std::string error;
    auto dest = library_audio_path(dir_, relative, true, &error);
    if (!dest) return {400, {{"error", relative + ": " + error}}};
    if (chunk.total == 0) return {400, {{"error", "the file is empty"}}};
    if (chunk.total > limits_.max_size)
        return {413, {{"error", "an audio file may be at most " + mib(limits_.max_size)}}};
    const std::string key = fs::path(relative).lexically_normal().generic_string();
    // One request per file at a time; other files' uploads never wait for this one.
    {
        std::lock_guard lock(mutex_);
        if (!busy_.insert(key).second)
            return {409, {{"error", relative + ": another upload of this file is in progress"}}};
    }
    struct Release {
        AudioUploads& u;
        const std::string& key;
        ~Release() {
            std::lock_guard lock(u.mutex_);
            u.busy_.erase(key);
        }
    } release{*this, key};

    std::error_code ec;
    if (fs::exists(*dest, ec)) {
        if (!replace)
            return {
                409,
                {{"error", relative + " already exists; upload with ?replace=1 to replace it"}}};
        if (auto why = in_use_reason(relative))
            return {409,
                    {{"error", relative + " cannot be replaced now: " + *why}, {"in_use", true}}};
    }
    fs::create_directories(dest->parent_path(), ec);
    const fs::path part = part_path(*dest);
    std::uintmax_t have = 0, others = 0;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [k, p] : parts_)
            (k == key ? have : others) += p.size;
        if (chunk.start == 0 && have > 0) {
            remove_part_locked(key); // a new upload of this file starts over
            have = 0;
        }
    }
    if (chunk.start != have)
        return {409,
                {{"error", "expected the chunk at byte " + std::to_string(have)}, {"next", have}}};
    if (free_space_) {
        const auto free_now = free_space_(dest->parent_path());
        if (free_now && *free_now < data.size() + limits_.reserve_bytes)
            return {507,
                    {{"error", "the disk is nearly full: " + mib(limits_.reserve_bytes) +
                                   " stay free for the session journal"}}};
    }
    if (others + have + data.size() > limits_.max_parts_total)
        return {507,
                {{"error", "unfinished uploads already hold " + mib(others + have) + " (at most " +
                               mib(limits_.max_parts_total) +
                               " in all): finish or wait for them (they expire after " +
                               std::to_string(limits_.part_lifetime.count() / 60'000) + " min)"}}};
    if (chunk.start + data.size() == chunk.total && !take_save_token()) {
        const std::string per_s = std::to_string(static_cast<int>(limits_.max_saves_per_second));
        return {429,
                {{"error", "the room saves at most " + per_s +
                               " uploaded files a second (the session's journal shares the disk): "
                               "send the last part again in a second"},
                 {"retry_after", 1}}};
    }
    if (!write_at(part, chunk.start, data)) {
        std::lock_guard lock(mutex_);
        parts_[key] = {part, chunk.start, clock_.now()};
        remove_part_locked(key);
        return {500, {{"error", "cannot write the upload (disk full?)"}}};
    }
    const std::uintmax_t now_have = chunk.start + data.size();
    if (now_have < chunk.total) {
        std::lock_guard lock(mutex_);
        parts_[key] = {part, now_have, clock_.now()};
        return {202, {{"file", relative}, {"received", now_have}, {"total", chunk.total}}};
    }
    {
        std::lock_guard lock(mutex_);
        parts_.erase(key); // whole: no longer an unfinished upload
    }
    int status = 400;
    auto info = check_header_and_sample(part, limits_, &status, &error);
    if (!info) {
        fs::remove(part, ec);
        return {status, {{"error", relative + ": not playable audio: " + error}}};
    }
    if (replace) {
        if (auto why = in_use_reason(relative)) { // the session may have started meanwhile
            fs::remove(part, ec);
            return {409,
                    {{"error", relative + " cannot be replaced now: " + *why}, {"in_use", true}}};
        }
    }
    if (!fsync_file(part) || ::rename(part.c_str(), dest->c_str()) != 0) {
        fs::remove(part, ec);
        return {500, {{"error", "cannot save " + relative}}};
    }
    fsync_dir(dest->parent_path());
    Json check = "pending";
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= limits_.max_checks_queued)
            check = "not decoded to the end: too many uploads at once";
        else
            queue_.push_back({key, *dest, info->frames});
        checks_[key] = check;
        lufs_.erase(key); // a new file: measured again
    }
    cv_.notify_all();
    return {201,
            {{"file", relative},
             {"size", chunk.total},
             {"length", static_cast<double>(info->frames) / info->sample_rate},
             {"sample_rate", info->sample_rate},
             {"channels", info->channels},
             {"format", info->format},
             {"check", check},
             {"lufs", nullptr}}};
}

UploadResult AudioUploads::remove(const std::string& relative) {
    std::string error;
    auto path = library_audio_path(dir_, relative, true, &error);
    if (!path) return {400, {{"error", relative + ": " + error}}};
    std::error_code ec;
    if (!fs::is_regular_file(*path, ec)) return {404, {{"error", relative + ": no such file"}}};
    if (auto why = in_use_reason(relative))
        return {409, {{"error", relative + " cannot be deleted now: " + *why}, {"in_use", true}}};
    if (!fs::remove(*path, ec) || ec)
        return {500, {{"error", "cannot delete " + relative + ": " + ec.message()}}};
    fsync_dir(path->parent_path());
    {
        std::lock_guard lock(mutex_);
        checks_.erase(fs::path(relative).lexically_normal().generic_string());
        lufs_.erase(fs::path(relative).lexically_normal().generic_string());
    }
    return {200, {{"deleted", relative}}};
}

Json AudioUploads::check_status(const std::string& relative) const {
    std::lock_guard lock(mutex_);
    auto it = checks_.find(fs::path(relative).lexically_normal().generic_string());
    return it == checks_.end() ? Json(nullptr) : it->second;
}

void AudioUploads::wait_checks_idle() {
    std::unique_lock lock(mutex_);
    idle_cv_.wait(lock, [this] { return stop_ || (queue_.empty() && !checking_); });
}

void AudioUploads::check_worker() {
    // Below the request threads: a long decode takes only what they leave.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
    std::unique_lock lock(mutex_);
    while (true) {
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (stop_) break;
        const Check check = queue_.front();
        queue_.pop_front();
        checking_ = true;
        lock.unlock();
        run_check(check);
        lock.lock();
        checking_ = false;
        if (queue_.empty()) idle_cv_.notify_all();
    }
    idle_cv_.notify_all();
}

void AudioUploads::run_check(const Check& check) {
    std::string error;
    Json result = "ok";
    std::optional<double> lufs;
    auto f = open_audio(check.path, &error);
    if (!f) {
        result = "cannot be read: " + error;
    } else {
        const int rate = f->info().sample_rate;
        // The loudness is measured in the same pass: the curator sees it before saving.
        LoudnessMeter meter(f->info().channels, rate);
        std::vector<float> buf(static_cast<std::size_t>(4096 * f->info().channels));
        const DeviceTime deadline = clock_.now() + limits_.check_budget;
        std::int64_t total = 0;
        for (int i = 0;; ++i) {
            if (i % 64 == 0) {
                std::lock_guard lock(mutex_);
                if (stop_) return;
            }
            if (i % 64 == 0 && clock_.now() >= deadline) {
                result = "not decoded to the end within " +
                         std::to_string(limits_.check_budget.count() / 1000) + " s (" +
                         hms(frames_to_ms(total, rate)) + " of " +
                         hms(frames_to_ms(check.frames, rate)) + " checked)";
                break;
            }
            const auto n = f->read(buf.data(), 4096);
            if (n <= 0) break;
            meter.add(buf.data(), n);
            total += n;
        }
        if (result == "ok" && total < check.frames)
            result = "damaged: decodes only to " + hms(frames_to_ms(total, rate)) + " of " +
                     hms(frames_to_ms(check.frames, rate));
        if (result == "ok" && meter.ok()) lufs = meter.result().integrated_lufs;
    }
    std::lock_guard lock(mutex_);
    auto it = checks_.find(check.relative);
    if (it != checks_.end()) it->second = result;
    if (it != checks_.end() && lufs) lufs_[check.relative] = *lufs;
}

bool AudioUploads::take_save_token() {
    const double rate = limits_.max_saves_per_second;
    if (rate <= 0) return true;
    std::lock_guard lock(mutex_);
    const DeviceTime now = clock_.now();
    const double elapsed = std::chrono::duration<double>(now - save_tokens_at_).count();
    save_tokens_ = std::min(rate, save_tokens_ + std::max(0.0, elapsed) * rate);
    save_tokens_at_ = now;
    if (save_tokens_ < 1) return false;
    save_tokens_ -= 1;
    return true;
}

Json AudioUploads::lufs(const std::string& relative) const {
    std::lock_guard lock(mutex_);
    auto it = lufs_.find(fs::path(relative).lexically_normal().generic_string());
    return it == lufs_.end() ? Json(nullptr) : Json(it->second);
}

} // namespace stillroom
