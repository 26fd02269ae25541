// Counts heap allocations made on the current thread while a Watch is alive. The global
// operator new in alloc_counter.cpp consults it; the audio callback test uses it to prove
// the mixer never allocates.
#pragma once

#include <cstddef>

namespace stillroom::test {

struct AllocationWatch {
    AllocationWatch();
    ~AllocationWatch();
    std::size_t count() const;
};

} // namespace stillroom::test
