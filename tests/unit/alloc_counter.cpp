// Global operator new/delete that count allocations on a watched thread.
#include "alloc_counter.hpp"

#include <cstdlib>
#include <new>

namespace {
thread_local bool t_watching = false;
thread_local std::size_t t_count = 0;
} // namespace

namespace stillroom::test {
AllocationWatch::AllocationWatch() {
    t_count = 0;
    t_watching = true;
}
AllocationWatch::~AllocationWatch() { t_watching = false; }
std::size_t AllocationWatch::count() const { return t_count; }
} // namespace stillroom::test

void* operator new(std::size_t size) {
    if (t_watching) ++t_count;
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    if (t_watching) ++t_count;
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
