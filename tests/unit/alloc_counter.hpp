// Counts what the audio callback must never do, on the current thread while a watch is
// alive: heap allocations (operator new in every form, including aligned; malloc, calloc,
// realloc, aligned_alloc, posix_memalign), mutex locks, condition-variable waits and
// sleeps. alloc_counter.cpp interposes those functions in the unit test binary. Under
// ASan/TSan (which own malloc and the pthread calls) only operator new is counted;
// `full()` says which.
#pragma once

#include <cstddef>

namespace stillroom::test {

struct AllocationWatch {
    AllocationWatch();
    ~AllocationWatch();
    std::size_t count() const; // heap allocations
    std::size_t locks() const; // pthread_mutex_lock/trylock
    std::size_t waits() const; // pthread_cond_(timed)wait, nanosleep, clock_nanosleep, sched_yield
    static bool full();        // false: only operator new is observed (sanitizer builds)
};

} // namespace stillroom::test
