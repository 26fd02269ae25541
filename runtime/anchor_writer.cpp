// The session's state file, written by a thread of its own (runtime/anchor_writer.hpp).
#include "runtime/anchor_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

namespace stillroom {

namespace fs = std::filesystem;

fs::path anchor_path(const fs::path& state_dir, const std::string& id) {
    return state_dir / "sessions" / (id + ".anchor");
}

Json read_anchor(const fs::path& state_dir, const std::string& id) {
    std::ifstream in(anchor_path(state_dir, id));
    Json anchor = Json::parse(in, nullptr, false);
    if (anchor.is_discarded() || !anchor.is_object()) return nullptr;
    return anchor;
}

AnchorWriter::AnchorWriter(const FileOps& ops) : ops_(ops) {}

AnchorWriter::~AnchorWriter() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join(); // the thread empties the queue before it ends
}

void AnchorWriter::write(fs::path path, Json anchor) {
    std::lock_guard lock(mutex_);
    // The latest wins: a snapshot for this file still waiting is replaced in its place. After
    // a removal of it, the write goes behind the removal.
    for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) {
        if (it->path != path) continue;
        if (it->anchor) {
            it->anchor = std::move(anchor);
            return;
        }
        break;
    }
    jobs_.push_back({std::move(path), std::move(anchor)});
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    wake_.notify_one();
}

void AnchorWriter::remove(fs::path path) {
    std::lock_guard lock(mutex_);
    // A write already under way is not in the queue: the removal runs after it.
    std::erase_if(jobs_, [&](const Job& j) { return j.path == path; });
    jobs_.push_back({std::move(path), std::nullopt});
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    wake_.notify_one();
}

void AnchorWriter::flush() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return jobs_.empty() && !busy_; });
}

void AnchorWriter::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return; // stopping, and nothing left to write
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        busy_ = true;
        lock.unlock();
        if (job.anchor) {
            write_file(job.path, *job.anchor);
        } else {
            std::error_code ec;
            fs::remove(job.path, ec);
        }
        lock.lock();
        busy_ = false;
        idle_.notify_all();
    }
}

void AnchorWriter::write_file(const fs::path& path, const Json& anchor) const {
    const fs::path tmp = path.string() + ".tmp";
    const std::string text = dump_json(anchor) + "\n";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    bool ok = fd >= 0;
    for (std::size_t done = 0; ok && done < text.size();) {
        const auto n = ops_.write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<std::size_t>(n);
    }
    ok = ok && ops_.fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    // A full disk: the older anchor stays (its seq behind: a resume takes nothing from it but
    // the dose and booster; runtime/journal_repair.hpp).
    if (!ok || ops_.rename(tmp.c_str(), path.c_str()) != 0) {
        std::error_code ec;
        fs::remove(tmp, ec);
    }
}

} // namespace stillroom
