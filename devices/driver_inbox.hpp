// A driver's inbox: a bounded FIFO of jobs that the driver's own thread drains in order.
// RoomDriver::apply and reconcile only push here and return, so slow device work (opening
// and decoding a file, a MIDI port that hangs) never runs on the engine thread under the
// room lock. One thread handles the jobs one at a time, in the order they were pushed:
// a Stop pushed after a Play is handled after the Play's load, never before it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace stillroom {

template <class Job> class DriverInbox {
public:
    // `handle` runs on the inbox's thread, one job at a time; it must not throw.
    DriverInbox(std::size_t capacity, std::function<void(Job&)> handle)
        : capacity_(capacity), handle_(std::move(handle)) {}
    ~DriverInbox() { stop(); }
    DriverInbox(const DriverInbox&) = delete;
    DriverInbox& operator=(const DriverInbox&) = delete;

    // Starts the thread; jobs pushed before are handled then. Runs on: a control thread.
    void start() {
        std::lock_guard lock(mutex_);
        if (running_) return;
        running_ = true;
        thread_ = std::thread([this] { loop(); });
    }
    // Handles the job in progress, drops the rest, joins. Runs on: a control thread.
    void stop() {
        {
            std::lock_guard lock(mutex_);
            if (!running_) return;
            running_ = false;
            jobs_.clear();
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    // Queues a job; never waits for the thread. False (and counted) when the inbox is full.
    // Runs on: any thread.
    bool push(Job job) {
        {
            std::lock_guard lock(mutex_);
            if (jobs_.size() >= capacity_) {
                ++dropped_;
                return false;
            }
            jobs_.push_back(std::move(job));
        }
        cv_.notify_all();
        return true;
    }
    // Drops everything still queued and queues `job` (a desired state that supersedes them).
    // Runs on: any thread.
    void replace_all(Job job) {
        {
            std::lock_guard lock(mutex_);
            dropped_ += jobs_.size();
            jobs_.clear();
            jobs_.push_back(std::move(job));
        }
        cv_.notify_all();
    }
    // Blocks until every job pushed so far has been handled (tests, `devices test`).
    // Runs on: a control thread; not while the inbox is stopped.
    void wait_idle() {
        std::unique_lock lock(mutex_);
        idle_cv_.wait(lock, [this] { return (jobs_.empty() && !busy_) || !running_; });
    }
    // Jobs waiting, and jobs refused or dropped so far. Runs on: any thread.
    std::size_t queued() const {
        std::lock_guard lock(mutex_);
        return jobs_.size() + (busy_ ? 1 : 0);
    }
    std::uint64_t dropped() const {
        std::lock_guard lock(mutex_);
        return dropped_;
    }

private:
    void loop() {
        // Runs on: the inbox's thread.
        std::unique_lock lock(mutex_);
        for (;;) {
            cv_.wait(lock, [this] { return !jobs_.empty() || !running_; });
            if (!running_) break;
            Job job = std::move(jobs_.front());
            jobs_.pop_front();
            busy_ = true;
            lock.unlock();
            handle_(job);
            lock.lock();
            busy_ = false;
            if (jobs_.empty()) idle_cv_.notify_all();
        }
        busy_ = false;
        idle_cv_.notify_all();
    }

    const std::size_t capacity_;
    std::function<void(Job&)> handle_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::condition_variable idle_cv_;
    std::deque<Job> jobs_;
    bool running_ = false;
    bool busy_ = false;
    std::uint64_t dropped_ = 0;
    std::thread thread_;
};

} // namespace stillroom
