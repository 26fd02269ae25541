// The PIN throttle on a manual clock: each backoff step, the lockout after ten wrong PINs,
// its expiry, the per-address rule, no reset on another PIN's success, counting before
// checking (parallel guesses), and lockouts that survive a restart. The budget all unknown
// devices share and the device cookies: test_pin_budget.cpp.
#include "control/auth.hpp"

#include "unit/temp_dir.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace stillroom;
using namespace std::chrono_literals;

namespace {

const std::string& therapist_hash() {
    static const std::string h = hash_pin("1357");
    return h;
}
const std::string& clinic_hash() {
    static const std::string h = hash_pin("2468");
    return h;
}
std::vector<UserConfig> users() {
    return {{"t", "therapist", therapist_hash()}, {"k", "clinic", clinic_hash()}};
}

} // namespace

TEST_CASE("PIN throttle: backoff steps, lockout after ten, its expiry, per address") {
    ManualDeviceClock clock;
    Auth auth(users(), clock);
    // The other address is a tablet that has logged in before: unknown devices share one
    // budget of failed checks (test_pin_budget.cpp), which these ten failures use up.
    std::string other = auth.login("1357", "10.0.0.3").device;
    // Attempt n (1-based) is wrong; after it the address waits this long (hand-derived from
    // docs/security.md: three free, then 1 s doubling, the tenth locks for 15 minutes).
    const Ms expected_wait[] = {0ms, 0ms, 1s, 2s, 4s, 8s, 16s, 32s, 64s, 15min};
    for (int n = 1; n <= 10; ++n) {
        CAPTURE(n);
        auto r = auth.login("0000", "10.0.0.2");
        REQUIRE(r.status == Auth::LoginStatus::WrongPin);
        CHECK(r.retry_after == expected_wait[n - 1]);
        if (r.retry_after == 0ms) continue;
        // Inside the wait even the right PIN is refused without being checked...
        auto refused = auth.login("1357", "10.0.0.2");
        CHECK(refused.status == Auth::LoginStatus::Throttled);
        CHECK(refused.retry_after == r.retry_after);
        // ...while another address is never blocked by this one.
        auto in = auth.login("1357", "10.0.0.3", other);
        CHECK(in.status == Auth::LoginStatus::Ok);
        other = in.device;
        clock.advance_by(r.retry_after - 1ms);
        CHECK(auth.login("1357", "10.0.0.2").status == Auth::LoginStatus::Throttled);
        clock.advance_by(1ms);
    }
    // The lockout has expired, but the ten failures used up the budget all unknown devices
    // share: the right PIN waits for its refill, then works again.
    auto budget = auth.login("1357", "10.0.0.2");
    CHECK(budget.status == Auth::LoginStatus::Throttled);
    CHECK(budget.message.find("does not know") != std::string::npos);
    clock.advance_by(budget.retry_after);
    CHECK(auth.login("1357", "10.0.0.2").status == Auth::LoginStatus::Ok);
}

TEST_CASE("PIN throttle: a correct PIN does not reset the failures of another") {
    ManualDeviceClock clock;
    Auth auth(users(), clock);
    // A therapist guessing the clinic PIN, logging in with their own between guesses.
    for (int wrong = 1; wrong <= 10; ++wrong) {
        CAPTURE(wrong);
        auto r = auth.login("0000", "10.0.0.2");
        REQUIRE(r.status == Auth::LoginStatus::WrongPin);
        if (wrong == 10) break;
        clock.advance_by(r.retry_after);
        REQUIRE(auth.login("1357", "10.0.0.2").status == Auth::LoginStatus::Ok);
    }
    // Ten wrong PINs from this address: locked out, the clinic PIN is not even checked.
    CHECK(auth.login("2468", "10.0.0.2").status == Auth::LoginStatus::Throttled);
}

TEST_CASE("PIN throttle: parallel wrong PINs are counted before they are checked") {
    ManualDeviceClock clock;
    Auth auth(users(), clock);
    constexpr int kParallel = 24;
    std::atomic<int> checked{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kParallel; ++i)
        threads.emplace_back([&] {
            if (auth.login("0000", "10.0.0.9").status == Auth::LoginStatus::WrongPin) ++checked;
        });
    for (auto& t : threads)
        t.join();
    // Three are free; the third sets the first wait, so every later one is refused unchecked.
    CHECK(checked.load() == Auth::kFreeAttempts);
}

TEST_CASE("PIN throttle: a lockout survives a restart (kept in STATE/throttle.json)") {
    test::TempDir dir;
    ManualDeviceClock clock;
    std::string device;
    {
        Auth auth(users(), clock, dir.path / "tokens.json");
        device = auth.login("1357", "10.0.0.3").device; // a tablet known before
        for (int n = 0; n < 10; ++n) {
            auto r = auth.login("0000", "10.0.0.2");
            if (r.status == Auth::LoginStatus::Throttled) {
                clock.advance_by(r.retry_after);
                r = auth.login("0000", "10.0.0.2");
            }
            REQUIRE(r.status == Auth::LoginStatus::WrongPin);
            if (n < 9) clock.advance_by(r.retry_after);
        }
    }
    Auth again(users(), clock, dir.path / "tokens.json");
    CHECK(again.login("1357", "10.0.0.2").status == Auth::LoginStatus::Throttled);
    CHECK(again.login("1357", "10.0.0.3", device).status == Auth::LoginStatus::Ok);
    clock.advance_by(15min);
    // The lockout is over; the shared budget of unknown devices (used up by the ten) needs
    // one refill, 20 minutes after the first failure.
    CHECK(again.login("1357", "10.0.0.2").status == Auth::LoginStatus::Throttled);
    clock.advance_by(5min);
    CHECK(again.login("1357", "10.0.0.2").status == Auth::LoginStatus::Ok);
}
