// PIN guessing on a manual clock (issue 25 items 3 and 4): every unknown device shares one
// budget of failed checks (10, then one more every 20 minutes), a known device (its cookie
// from an earlier login) keeps its user's own budget so a sweep never locks the tablet out,
// a device ends with its user, and the throttle's state stays bounded, is written at most
// once a second and never holds up a token check.
#include "control/auth.hpp"
#include "control/pin_throttle.hpp"

#include "unit/temp_dir.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

using namespace stillroom;
using namespace std::chrono_literals;

namespace {

const std::string& therapist_hash() {
    static const std::string h = hash_pin("1357");
    return h;
}
std::vector<UserConfig> users() {
    return {{"t", "therapist", therapist_hash()}};
}
std::string address(int i) {
    return "10." + std::to_string(i / 65536 % 256) + "." + std::to_string(i / 256 % 256) + "." +
           std::to_string(i % 256);
}

template <class Pred> bool soon(Pred pred) { // bounded: 5 s of real time
    for (int i = 0; i < 500; ++i) {
        if (pred()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return pred();
}

} // namespace

TEST_CASE("PIN budget: unknown devices share 10 failed checks, then one every 20 minutes") {
    ManualDeviceClock clock;
    Auth auth(users(), clock);
    int checked = 0, next = 0;
    // A sweep from a new address for every guess, for a simulated day.
    for (int minute = 0; minute < 24 * 60; ++minute) {
        for (;;) {
            auto r = auth.login("0000", address(next));
            if (r.status == Auth::LoginStatus::Throttled) {
                CHECK(r.message.find("does not know") != std::string::npos);
                CHECK(r.retry_after > 0ms);
                CHECK(r.retry_after <= PinThrottle::kUnknownRefill);
                break;
            }
            REQUIRE(r.status == Auth::LoginStatus::WrongPin);
            ++checked;
            ++next;
        }
        if (minute == 59) CHECK(checked == 10 + 2); // the first hour: 10, and at 20 and 40 min
        clock.advance_by(1min);
    }
    // 10 + one every 20 minutes: 10 + 71 in the first 24 h (the last one falls at 24:00).
    CHECK(checked == 10 + 71);
}

// The room's PIN check, counted: each PIN against each user's hash (a "hash" here is
// "pin:" and the digits, so the test needs no Argon2id time).
class CountingVerifier final : public PinVerifier {
public:
    bool verify(const std::string& pin, const std::string& pin_hash) override {
        ++calls;
        return pin_hash == "pin:" + pin;
    }
    std::atomic<int> calls{0};
};

TEST_CASE("PIN budget: a login refused by a budget or a lockout costs no PIN check") {
    ManualDeviceClock clock;
    CountingVerifier verifier;
    Auth auth({{"t", "therapist", "pin:1357"}, {"k", "clinic", "pin:246802"}}, clock, {}, nullptr,
              &verifier);
    const auto tablet = auth.login("1357", "10.0.0.1");
    REQUIRE(tablet.status == Auth::LoginStatus::Ok);
    verifier.calls = 0;
    SUBCASE("the budget every unknown device shares") {
        for (int i = 0; i < PinThrottle::kUnknownBudget; ++i)
            REQUIRE(auth.login("0000", address(100 + i)).status == Auth::LoginStatus::WrongPin);
        CHECK(verifier.calls == 2 * PinThrottle::kUnknownBudget); // both users' hashes each
        struct Row {
            const char* pin;
            std::string client;
        };
        for (const Row& row : {Row{"0000", address(200)}, Row{"1357", address(201)},
                               Row{"246802", address(202)}, Row{"1357", "10.0.0.1"}}) {
            CAPTURE(row.pin);
            CAPTURE(row.client);
            CHECK(auth.login(row.pin, row.client).status == Auth::LoginStatus::Throttled);
            CHECK(verifier.calls == 2 * PinThrottle::kUnknownBudget); // refused unchecked
        }
        // The tablet with its device cookie is checked (its own user's hash first).
        CHECK(auth.login("1357", "10.0.0.1", tablet.device).status == Auth::LoginStatus::Ok);
        CHECK(verifier.calls == 2 * PinThrottle::kUnknownBudget + 1);
    }
    SUBCASE("one address's steps") {
        for (int i = 0; i < PinThrottle::kFreeAttempts; ++i)
            REQUIRE(auth.login("0000", "10.0.0.9").status == Auth::LoginStatus::WrongPin);
        const int checked = verifier.calls;
        CHECK(checked == 2 * PinThrottle::kFreeAttempts);
        for (const char* pin : {"0000", "1357"}) {
            CAPTURE(pin);
            CHECK(auth.login(pin, "10.0.0.9").status == Auth::LoginStatus::Throttled);
            CHECK(verifier.calls == checked);
        }
        clock.advance_by(1s);
        CHECK(auth.login("1357", "10.0.0.9").status == Auth::LoginStatus::Ok);
        CHECK(verifier.calls == checked + 1);
    }
}

TEST_CASE("PIN budget: a known device keeps its own budget through a sweep") {
    ManualDeviceClock clock;
    Auth auth(users(), clock);
    auto first = auth.login("1357", "10.0.0.1");
    REQUIRE(first.status == Auth::LoginStatus::Ok);
    REQUIRE(first.device.size() == 32);
    CHECK(auth.device_known(first.device));
    for (int i = 0; i < 10; ++i)
        REQUIRE(auth.login("0000", address(1000 + i)).status == Auth::LoginStatus::WrongPin);
    REQUIRE(auth.login("1357", "10.0.0.1").status == Auth::LoginStatus::Throttled);
    // The tablet with its cookie: in, and a new cookie replaces the old one.
    auto again = auth.login("1357", "10.0.0.1", first.device);
    REQUIRE(again.status == Auth::LoginStatus::Ok);
    CHECK(again.device != first.device);
    CHECK_FALSE(auth.device_known(first.device));
    CHECK(auth.device_known(again.device));
    // The device's own typos count against its user's devices, not the shared budget.
    std::string device = again.device;
    for (int i = 0; i < 3; ++i)
        CHECK(auth.login("0000", "10.0.0.1", device).status == Auth::LoginStatus::WrongPin);
    CHECK(auth.login("1357", "10.0.0.1", device).status == Auth::LoginStatus::Throttled);
    clock.advance_by(1s);
    auto in = auth.login("1357", "10.0.0.1", device);
    CHECK(in.status == Auth::LoginStatus::Ok);
    CHECK(auth.throttle().unknown_budget_left() == 0);
    // A device ends with its user.
    auth.set_users({{"t2", "therapist", therapist_hash()}});
    CHECK_FALSE(auth.device_known(in.device));
}

TEST_CASE("PIN budget: a device cookie that is not one is an unknown device") {
    ManualDeviceClock clock;
    Auth auth(users(), clock);
    for (const std::string& fake :
         std::vector<std::string>{"", "x", std::string(32, '0'), std::string(64, 'a')}) {
        CAPTURE(fake);
        CHECK_FALSE(auth.device_known(fake));
    }
    for (int i = 0; i < 10; ++i)
        REQUIRE(auth.login("0000", address(i), std::string(32, '0')).status ==
                Auth::LoginStatus::WrongPin);
    CHECK(auth.login("0000", address(99), std::string(32, '0')).status ==
          Auth::LoginStatus::Throttled);
}

TEST_CASE("PIN budget: the budget and known devices survive a restart") {
    test::TempDir dir;
    ManualDeviceClock clock;
    std::string device;
    {
        Auth auth(users(), clock, dir.path / "tokens.json");
        device = auth.login("1357", "10.0.0.1").device;
        for (int i = 0; i < 10; ++i)
            REQUIRE(auth.login("0000", address(i)).status == Auth::LoginStatus::WrongPin);
    }
    Auth again(users(), clock, dir.path / "tokens.json");
    CHECK(again.login("1357", address(50)).status == Auth::LoginStatus::Throttled);
    CHECK(again.login("1357", "10.0.0.1", device).status == Auth::LoginStatus::Ok);
}

TEST_CASE("PIN throttle: bounded; the least recently tried address goes first") {
    ManualDeviceClock clock;
    PinThrottle throttle(clock);
    for (int i = 0; i < 5000; ++i) {
        throttle.begin("user:" + std::to_string(i), false); // a key per guess, no shared budget
        clock.advance_by(1ms);
    }
    CHECK(throttle.tracked() == PinThrottle::kMaxTracked);
    // The newest is still counted, the oldest forgotten.
    CHECK(throttle.begin("user:4999", false).failures_before == 1);
    CHECK(throttle.begin("user:0", false).failures_before == 0);
}

TEST_CASE("PIN throttle: written at most once a second, never under the token check's lock") {
    ManualDeviceClock clock;
    std::mutex m;
    std::condition_variable cv;
    bool release = false;
    std::atomic<int> writes{0};
    std::atomic<bool> blocked{false};
    std::string last;
    auto writer = [&](const std::string& text, std::string*) {
        std::unique_lock lock(m);
        ++writes;
        last = text;
        blocked = true;
        cv.wait_for(lock, 10s, [&] { return release; }); // a disk that hangs
        blocked = false;
        return true;
    };
    PinThrottle throttle(clock, {}, writer);
    for (int i = 0; i < 200; ++i)
        throttle.begin(address(i), true);
    // One write began (the first dirty state) and hangs; meanwhile attempts and their answers
    // go on without waiting for it.
    REQUIRE(soon([&] { return blocked.load(); }));
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i)
        throttle.begin(address(1000 + i), false);
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    // Within the same second of the room's clock nothing more is written...
    std::this_thread::sleep_for(200ms);
    CHECK(writes.load() == 1);
    // ...and the pending state goes out once a second has passed.
    clock.advance_by(1s);
    CHECK(soon([&] { return writes.load() == 2; }));
    std::lock_guard lock(m);
    CHECK(last.find("\"version\":2") != std::string::npos);
}

TEST_CASE("PIN throttle: a token check never waits for the throttle's file") {
    ManualDeviceClock clock;
    std::promise<void> hang;
    std::shared_future<void> released = hang.get_future().share();
    std::atomic<bool> writing{false};
    // throttle.json on a disk that hangs: the write never returns until released.
    Auth auth(users(), clock, {}, [&](const std::string&, std::string*) {
        writing = true;
        released.wait_for(10s);
        return true;
    });
    const std::string token = auth.login("1357", "10.0.0.1").token;
    REQUIRE(soon([&] { return writing.load(); }));
    // The old room rewrote throttle.json under the lock every token check takes; here the
    // tablet's token is answered at once, and so is another login's answer.
    auto check = std::async(std::launch::async, [&] { return auth.check(token).has_value(); });
    CHECK(check.wait_for(2s) == std::future_status::ready);
    auto wrong =
        std::async(std::launch::async, [&] { return auth.login("0000", "10.0.0.2").status; });
    CHECK(wrong.wait_for(5s) == std::future_status::ready);
    hang.set_value();
    CHECK(check.get());
    CHECK(wrong.get() == Auth::LoginStatus::WrongPin);
}
