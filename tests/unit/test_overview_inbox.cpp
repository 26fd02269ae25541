// The clinic overview's inbox (clinic/overview_inbox.hpp): what a flood may make it hold,
// and a room taken out while its state waits.
#include "clinic/overview_inbox.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

using namespace stillroom;

namespace {

// Collects what the reader hands on; waits (bounded) for a count.
struct Delivered {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::pair<std::string, std::string>> messages;
    OverviewInbox::Sink sink() {
        return [this](const std::string& topic, const std::string& payload) {
            std::lock_guard lock(mutex);
            messages.emplace_back(topic, payload);
            cv.notify_all();
        };
    }
    std::vector<std::pair<std::string, std::string>> wait_for(std::size_t n) {
        std::unique_lock lock(mutex);
        cv.wait_for(lock, std::chrono::seconds(10), [&] { return messages.size() >= n; });
        return messages;
    }
};

} // namespace

TEST_CASE("overview inbox: the waiting states are bounded in bytes, not only in topics") {
    Delivered out;
    OverviewInboxOptions o;
    o.max_state_topics = 100;
    o.max_state_bytes = 1000;
    OverviewInbox inbox(out.sink(), o);
    // Not started: everything waits. Ten made-up rooms, 300 bytes each: three fit.
    const std::string big = "{" + std::string(298, ' ') + "}";
    for (int i = 0; i < 10; ++i)
        inbox.offer("stillroom/fake-" + std::to_string(i) + "/state", big);
    CHECK(inbox.counts().dropped == 7);
    // A newer state of a waiting room replaces it within the budget.
    inbox.offer("stillroom/fake-0/state", R"({"newer":true})");
    CHECK(inbox.counts().replaced == 1);
    inbox.offer("stillroom/fake-9/state", big); // room freed by the replacement: fits now
    CHECK(inbox.counts().dropped == 7);
    inbox.start();
    const auto got = out.wait_for(4);
    REQUIRE(got.size() == 4);
    CHECK(got[0].first == "stillroom/fake-0/state");
    CHECK(got[0].second == R"({"newer":true})");
    CHECK(got[3].first == "stillroom/fake-9/state");
    // Delivered: the budget is free again.
    inbox.offer("stillroom/fake-5/state", big);
    CHECK(inbox.counts().dropped == 7);
    inbox.stop();
}

TEST_CASE("overview inbox: a room taken out takes its waiting state with it (no ghost)") {
    Delivered out;
    OverviewInbox inbox(out.sink());
    inbox.offer("stillroom/a/state", R"({"room":{"id":"a"}})");
    inbox.offer("stillroom/b/state", R"({"room":{"id":"b"}})");
    inbox.offer("stillroom/a/status", ""); // cleared: the room was removed
    inbox.start();
    const auto got = out.wait_for(2);
    inbox.stop();
    REQUIRE(got.size() == 2);
    CHECK(got[0] == std::pair<std::string, std::string>{"stillroom/a/status", ""});
    CHECK(got[1].first == "stillroom/b/state");
}
