// A bounded single-producer single-consumer queue for passing commands between threads.
// try_push and try_pop never allocate, lock or block: safe on the audio thread.
// Capacity is fixed at compile time; the storage lives inside the object.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <optional>

namespace stillroom {

template <class T, std::size_t Capacity> class SpscQueue {
    static_assert((Capacity & (Capacity - 1)) == 0, "Capacity must be a power of two");

public:
    // Runs on: the producer thread. Real-time safe. False when full.
    bool try_push(const T& value) {
        const auto head = head_.load(std::memory_order_relaxed);
        const auto tail = tail_.load(std::memory_order_acquire);
        if (head - tail == Capacity) return false;
        slots_[head & (Capacity - 1)] = value;
        head_.store(head + 1, std::memory_order_release);
        return true;
    }

    // Runs on: the consumer thread. Real-time safe. False when empty.
    bool try_pop(T& out) {
        const auto tail = tail_.load(std::memory_order_relaxed);
        const auto head = head_.load(std::memory_order_acquire);
        if (head == tail) return false;
        out = slots_[tail & (Capacity - 1)];
        tail_.store(tail + 1, std::memory_order_release);
        return true;
    }

    // Approximate; for diagnostics only.
    std::size_t size() const { return head_.load() - tail_.load(); }

private:
    std::array<T, Capacity> slots_{};
    alignas(64) std::atomic<std::size_t> head_{0};
    alignas(64) std::atomic<std::size_t> tail_{0};
};

} // namespace stillroom
