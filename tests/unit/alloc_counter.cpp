// Interposes operator new, malloc and the pthread lock/wait calls in the unit test binary
// to count them on a watched thread (see alloc_counter.hpp).
#include "alloc_counter.hpp"

#include <cstdlib>
#include <new>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define STILLROOM_COUNT_LIBC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define STILLROOM_COUNT_LIBC 0
#endif
#endif
#ifndef STILLROOM_COUNT_LIBC
#define STILLROOM_COUNT_LIBC 1
#endif

namespace {
thread_local bool t_watching = false;
thread_local std::size_t t_allocs = 0;
thread_local std::size_t t_locks = 0;
thread_local std::size_t t_waits = 0;
} // namespace

namespace stillroom::test {
AllocationWatch::AllocationWatch() {
    t_allocs = t_locks = t_waits = 0;
    t_watching = true;
}
AllocationWatch::~AllocationWatch() {
    t_watching = false;
}
std::size_t AllocationWatch::count() const {
    return t_allocs;
}
std::size_t AllocationWatch::locks() const {
    return t_locks;
}
std::size_t AllocationWatch::waits() const {
    return t_waits;
}
bool AllocationWatch::full() {
    return STILLROOM_COUNT_LIBC != 0;
}
} // namespace stillroom::test

#if STILLROOM_COUNT_LIBC
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}
#endif

namespace {
// The allocation behind operator new, not counted a second time as a malloc.
void* raw_alloc(std::size_t size) {
#if STILLROOM_COUNT_LIBC
    return __libc_malloc(size);
#else
    return std::malloc(size);
#endif
}
void* raw_aligned_alloc(std::size_t align, std::size_t size) {
#if STILLROOM_COUNT_LIBC
    return __libc_memalign(align, size);
#else
    return std::aligned_alloc(align, (size + align - 1) / align * align);
#endif
}
void* counted_new(std::size_t size) {
    if (t_watching) ++t_allocs;
    if (void* p = raw_alloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void* counted_aligned_new(std::size_t size, std::align_val_t align) {
    if (t_watching) ++t_allocs;
    if (void* p = raw_aligned_alloc(static_cast<std::size_t>(align), size ? size : 1)) return p;
    throw std::bad_alloc();
}
} // namespace

void* operator new(std::size_t size) {
    return counted_new(size);
}
void* operator new[](std::size_t size) {
    return counted_new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    if (t_watching) ++t_allocs;
    return raw_alloc(size ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    if (t_watching) ++t_allocs;
    return raw_alloc(size ? size : 1);
}
void* operator new(std::size_t size, std::align_val_t a) {
    return counted_aligned_new(size, a);
}
void* operator new[](std::size_t size, std::align_val_t a) {
    return counted_aligned_new(size, a);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}

#if STILLROOM_COUNT_LIBC
#include <dlfcn.h>

// The real functions: glibc's own allocator entry points (no dlsym, which itself
// allocates), and the next definition of each pthread/sleep call. The noexcept ones match
// glibc's declarations (__THROW); the cancellation points have none.
extern "C" {
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
}

namespace {
template <class F> F real(const char* name) {
    return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}
void count_lock() {
    if (t_watching) ++t_locks;
}
void count_wait() {
    if (t_watching) ++t_waits;
}
} // namespace

extern "C" {
void* malloc(std::size_t size) noexcept {
    if (t_watching) ++t_allocs;
    return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) noexcept {
    if (t_watching) ++t_allocs;
    return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) noexcept {
    if (t_watching) ++t_allocs;
    return __libc_realloc(p, size);
}
void* aligned_alloc(std::size_t align, std::size_t size) noexcept {
    if (t_watching) ++t_allocs;
    return __libc_memalign(align, size);
}
int posix_memalign(void** out, std::size_t align, std::size_t size) noexcept {
    if (t_watching) ++t_allocs;
    void* p = __libc_memalign(align, size);
    if (!p) return 12; // ENOMEM
    *out = p;
    return 0;
}
int pthread_mutex_lock(pthread_mutex_t* m) noexcept {
    static auto next = real<int (*)(pthread_mutex_t*)>("pthread_mutex_lock");
    count_lock();
    return next(m);
}
int pthread_mutex_trylock(pthread_mutex_t* m) noexcept {
    static auto next = real<int (*)(pthread_mutex_t*)>("pthread_mutex_trylock");
    count_lock();
    return next(m);
}
int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
    static auto next = reinterpret_cast<int (*)(pthread_cond_t*, pthread_mutex_t*)>(
        dlvsym(RTLD_NEXT, "pthread_cond_wait", "GLIBC_2.3.2"));
    count_wait();
    return next(c, m);
}
int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const struct timespec* t) {
    static auto next =
        reinterpret_cast<int (*)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*)>(
            dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.3.2"));
    count_wait();
    return next(c, m, t);
}
int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock,
                           const struct timespec* t) {
    static auto next =
        real<int (*)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const struct timespec*)>(
            "pthread_cond_clockwait");
    count_wait();
    return next(c, m, clock, t);
}
int nanosleep(const struct timespec* d, struct timespec* rem) {
    static auto next = real<int (*)(const struct timespec*, struct timespec*)>("nanosleep");
    count_wait();
    return next(d, rem);
}
int clock_nanosleep(clockid_t clock, int flags, const struct timespec* d, struct timespec* rem) {
    static auto next =
        real<int (*)(clockid_t, int, const struct timespec*, struct timespec*)>("clock_nanosleep");
    count_wait();
    return next(clock, flags, d, rem);
}
int sched_yield() noexcept {
    static auto next = real<int (*)()>("sched_yield");
    count_wait();
    return next();
}
}
#endif
