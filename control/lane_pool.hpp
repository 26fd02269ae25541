// A fixed set of worker threads serving three lanes of work, the first lane first
// (control/http_guard.hpp: Urgent, Trusted, Stranger). Some workers are reserved for the
// first lanes, so work there never waits behind a pool full of the others. try_submit never
// blocks; each lane has its own bound on waiting work.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace stillroom {

class LanePool {
public:
    static constexpr int kLanes = 3;
    // `shared` workers take the first waiting task of any lane; `reserved` more take only
    // tasks of lanes 0..reserved_up_to. At most max_queued[lane] tasks wait per lane beyond
    // the idle workers that could take them.
    LanePool(int shared, int reserved, int reserved_up_to,
             std::array<std::size_t, kLanes> max_queued)
        : reserved_up_to_(reserved_up_to), max_queued_(max_queued) {
        for (int i = 0; i < shared; ++i)
            threads_.emplace_back([this] { run(kLanes - 1); });
        for (int i = 0; i < reserved; ++i)
            threads_.emplace_back([this] { run(reserved_up_to_); });
    }
    ~LanePool() { stop(); }
    LanePool(const LanePool&) = delete;
    LanePool& operator=(const LanePool&) = delete;

    // False (nothing queued) when the lane's queue is full. Runs on: any thread.
    bool try_submit(int lane, std::function<void()> fn) {
        std::lock_guard lock(mutex_);
        const auto l = static_cast<std::size_t>(lane);
        const std::size_t idle = idle_shared_ + (lane <= reserved_up_to_ ? idle_reserved_ : 0);
        if (stopping_ || queues_[l].size() >= idle + max_queued_[l]) return false;
        queues_[l].push_back(std::move(fn));
        cv_.notify_all();
        return true;
    }
    void stop() {
        {
            std::lock_guard lock(mutex_);
            if (stopping_ && threads_.empty()) return;
            stopping_ = true;
            for (auto& q : queues_)
                q.clear(); // closes their sockets
        }
        cv_.notify_all();
        for (auto& t : threads_)
            t.join();
        threads_.clear();
    }

private:
    // Runs on: a worker; serves lanes 0..up_to, lowest first.
    void run(int up_to) {
        const bool reserved = up_to < kLanes - 1;
        std::unique_lock lock(mutex_);
        for (;;) {
            (reserved ? idle_reserved_ : idle_shared_)++;
            int lane = -1;
            cv_.wait(lock, [&] {
                if (stopping_) return true;
                for (int l = 0; l <= up_to; ++l)
                    if (!queues_[static_cast<std::size_t>(l)].empty()) {
                        lane = l;
                        return true;
                    }
                return false;
            });
            (reserved ? idle_reserved_ : idle_shared_)--;
            if (stopping_) return;
            auto& q = queues_[static_cast<std::size_t>(lane)];
            auto fn = std::move(q.front());
            q.pop_front();
            lock.unlock();
            fn();
            lock.lock();
        }
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    std::array<std::deque<std::function<void()>>, kLanes> queues_;
    std::vector<std::thread> threads_;
    std::size_t idle_shared_ = 0;
    std::size_t idle_reserved_ = 0;
    int reserved_up_to_;
    std::array<std::size_t, kLanes> max_queued_;
    bool stopping_ = false;
};

} // namespace stillroom
