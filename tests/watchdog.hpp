// A per-test-case time limit for the doctest binaries: a test that spins (an unbounded
// loop over bad input) is stopped with its name printed, instead of hanging CI until the
// job's own timeout. STILLROOM_TEST_CASE_TIMEOUT_S overrides the limit (0: off).
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace stillroom::test {

#ifndef STILLROOM_TEST_CASE_LIMIT_S
#define STILLROOM_TEST_CASE_LIMIT_S 300 // generous: sanitizer builds on a loaded machine are slow
#endif

// The state the watch thread reads: static, so it outlives doctest's listener objects.
struct WatchdogState {
    std::mutex mutex;
    std::string name;
    std::chrono::steady_clock::time_point started{};
    bool running = false;
    int limit_s = STILLROOM_TEST_CASE_LIMIT_S;
};

inline WatchdogState& watchdog_state() {
    static WatchdogState* s = new WatchdogState; // never destroyed: the thread may still look
    return *s;
}

inline void watchdog_watch() {
    WatchdogState& s = watchdog_state();
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        std::lock_guard lock(s.mutex);
        if (s.running &&
            std::chrono::steady_clock::now() - s.started > std::chrono::seconds(s.limit_s)) {
            std::fprintf(stderr, "\nwatchdog: test case \"%s\" ran over %d s; stopped\n",
                         s.name.c_str(), s.limit_s);
            std::fflush(stderr);
            std::_Exit(124);
        }
    }
}

class Watchdog final : public doctest::IReporter {
public:
    explicit Watchdog(const doctest::ContextOptions&) {
        static const bool started = [] {
            WatchdogState& s = watchdog_state();
            if (const char* env = std::getenv("STILLROOM_TEST_CASE_TIMEOUT_S"))
                s.limit_s = std::atoi(env);
            if (s.limit_s > 0) std::thread(watchdog_watch).detach();
            return true;
        }();
        (void)started;
    }
    void test_case_start(const doctest::TestCaseData& tc) override {
        WatchdogState& s = watchdog_state();
        std::lock_guard lock(s.mutex);
        s.name = tc.m_name;
        s.started = std::chrono::steady_clock::now();
        s.running = true;
    }
    void test_case_end(const doctest::CurrentTestCaseStats&) override {
        WatchdogState& s = watchdog_state();
        std::lock_guard lock(s.mutex);
        s.running = false;
    }
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("stillroom-watchdog", 1, Watchdog);

} // namespace stillroom::test
