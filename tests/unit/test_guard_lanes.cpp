// What goes first (issue 25 items 2, 5, 6): the request summary the HTTP guard reads, the
// room API's lanes (the therapist's session commands Urgent, valid tokens and known devices
// Trusted, the rest Stranger; event streams by role), the lane pool (Urgent work runs on its
// own worker while every shared worker is busy, lanes in order, each lane's own bound), and
// the event streams per role and per user.
#include "control/event_streams.hpp"
#include "control/lane_pool.hpp"
#include "control/request_lanes.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using namespace stillroom;
using namespace std::chrono_literals;

TEST_CASE("guard: the request summary a classifier reads") {
    struct Row {
        const char* request;
        const char* method;
        const char* target;
        const char* authorization;
        const char* body;
    };
    const Row rows[] = {
        {"GET /api/v1/state HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n\r\n", "GET",
         "/api/v1/state", "Bearer abc", ""},
        {"POST /api/v1/login HTTP/1.1\r\nauthorization:   Bearer  z \r\nContent-Length: 12\r\n\r\n"
         "{\"pin\":\"1\"}x",
         "POST", "/api/v1/login", "Bearer  z", "{\"pin\":\"1\"}x"},
        {"GET /api/v1/events?token=t HTTP/1.1\r\n\r\n", "GET", "/api/v1/events?token=t", "", ""},
        {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "POST",
         "/x", "", ""},
        {"garbage", "", "", "", ""},
    };
    for (const auto& row : rows) {
        CAPTURE(row.request);
        const RequestSummary s = summarize_request(row.request);
        CHECK(s.method == row.method);
        CHECK(s.target == row.target);
        CHECK(s.authorization == row.authorization);
        CHECK(s.body == row.body);
    }
}

TEST_CASE("guard: the room API's lanes") {
    ManualDeviceClock clock;
    Auth auth({{"t", "therapist", hash_pin("1357")},
               {"c", "curator", hash_pin("8642")},
               {"k", "clinic", hash_pin("2468")}},
              clock);
    const auto t = auth.login("1357", "10.0.0.1");
    const std::string c = auth.login("8642", "10.0.0.1").token;
    const std::string k = auth.login("2468", "10.0.0.1").token;
    const RequestClassifier classify = api_request_classifier(auth, "/api/v1/events");
    struct Row {
        std::string method, target, authorization, body;
        RequestLane lane;
        int group;
    };
    const std::vector<Row> rows = {
        {"POST", "/api/v1/session/comfort", "Bearer " + t.token, "", RequestLane::Urgent, 0},
        {"POST", "/api/v1/audio/volume", "Bearer " + t.token, "", RequestLane::Urgent, 0},
        {"POST", "/api/v1/audio/skip", "Bearer " + k, "", RequestLane::Urgent, 0},
        {"POST", "/api/v1/session/start", "Bearer " + c, "", RequestLane::Trusted, 0}, // 403 later
        {"GET", "/api/v1/state", "Bearer " + t.token, "", RequestLane::Trusted, 0},
        {"POST", "/api/v1/session/comfort", "Bearer " + std::string(32, 'f'), "",
         RequestLane::Stranger, 0},
        {"POST", "/api/v1/session/comfort", "", "", RequestLane::Stranger, 0},
        {"GET", "/", "", "", RequestLane::Stranger, 0},
        {"GET", "/api/v1/events", "Bearer " + t.token, "", RequestLane::Trusted,
         stream_group(Role::Therapist)},
        {"GET", "/api/v1/events?token=" + c, "", "", RequestLane::Trusted,
         stream_group(Role::Curator)},
        {"GET", "/api/v1/events", "Bearer " + k, "", RequestLane::Trusted,
         stream_group(Role::Clinic)},
        {"GET", "/api/v1/state?token=" + c, "", "", RequestLane::Stranger,
         0}, // ?token= only for events
        {"POST", "/api/v1/login", "", R"({"pin":"1357","device":")" + t.device + "\"}",
         RequestLane::Trusted, 0},
        {"POST", "/api/v1/login", "", R"({"pin":"1357"})", RequestLane::Stranger, 0},
        {"POST", "/api/v1/login", "",
         R"({"pin":"1357","device":"0123456789abcdef0123456789abcdef"})", RequestLane::Stranger, 0},
    };
    for (const auto& row : rows) {
        CAPTURE(row.method);
        CAPTURE(row.target);
        CAPTURE(row.body);
        const RequestClass rc = classify({row.method, row.target, row.authorization, row.body});
        CHECK(static_cast<int>(rc.lane) == static_cast<int>(row.lane));
        CHECK(rc.stream_group == row.group);
    }
    // Each role's stream workers hold its streams and a few that are ending.
    const auto groups = stream_groups_by_role();
    for (Role r : {Role::Therapist, Role::Curator, Role::Clinic}) {
        CAPTURE(to_string(r));
        CHECK(groups.at(static_cast<std::size_t>(stream_group(r))) > StreamRegistry::role_limit(r));
    }
}

TEST_CASE("guard: Urgent work runs at once while every shared worker is busy") {
    LanePool pool(1, 1, 0, {4, 4, 4}); // one shared worker: the order below is deterministic
    std::mutex m;
    std::condition_variable cv;
    bool release = false;
    std::atomic<int> busy{0};
    auto hold = [&] {
        ++busy;
        std::unique_lock lock(m);
        cv.wait_for(lock, 10s, [&] { return release; });
    };
    REQUIRE(pool.try_submit(2, hold));
    for (int i = 0; i < 200 && busy.load() < 1; ++i)
        std::this_thread::sleep_for(10ms);
    REQUIRE(busy.load() == 1);
    // Strangers and trusted work queue (up to their bounds); the urgent task does not wait.
    std::vector<int> order;
    std::mutex order_m;
    auto note = [&](int v) {
        return [&, v] {
            std::lock_guard lock(order_m);
            order.push_back(v);
        };
    };
    int queued_strangers = 0;
    for (int i = 0; i < 10; ++i)
        queued_strangers += pool.try_submit(2, note(2));
    CHECK(queued_strangers == 4); // the stranger lane's bound
    REQUIRE(pool.try_submit(1, note(1)));
    std::atomic<bool> urgent_ran{false};
    REQUIRE(pool.try_submit(0, [&] { urgent_ran = true; }));
    for (int i = 0; i < 200 && !urgent_ran; ++i)
        std::this_thread::sleep_for(10ms);
    CHECK(urgent_ran.load());
    {
        std::lock_guard lock(order_m);
        CHECK(order.empty()); // nothing else got past the busy shared workers
    }
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    for (int i = 0; i < 200; ++i) {
        {
            std::lock_guard lock(order_m);
            if (order.size() == 5) break;
        }
        std::this_thread::sleep_for(10ms);
    }
    std::lock_guard lock(order_m);
    REQUIRE(order.size() == 5);
    CHECK(order == std::vector<int>{1, 2, 2, 2, 2}); // trusted before the strangers queued earlier
}

TEST_CASE("event streams: a new stream of the same user replaces their oldest; a curator "
          "never takes the therapist's") {
    EventHub hub;
    StreamRegistry streams(hub);
    std::vector<std::shared_ptr<StreamRegistry::Lease>> curator;
    for (int i = 0; i < 40; ++i)
        curator.push_back(streams.admit("c", Role::Curator));
    CHECK(streams.open_for("c") == StreamRegistry::kPerUser);
    int ended = 0;
    for (const auto& l : curator)
        ended += l->ended();
    CHECK(ended == 40 - StreamRegistry::kPerUser);
    CHECK_FALSE(curator.back()->ended()); // the newest ones stay
    // Curators by the dozen fill the curator role: the one holding most gives up their oldest.
    std::vector<std::shared_ptr<StreamRegistry::Lease>> others;
    for (int i = 0; i < 10; ++i)
        others.push_back(streams.admit("c" + std::to_string(i), Role::Curator));
    CHECK(streams.open(Role::Curator) == StreamRegistry::role_limit(Role::Curator));
    // The therapist's streams are their own.
    auto t = streams.admit("t", Role::Therapist);
    CHECK_FALSE(t->ended());
    CHECK(streams.open(Role::Therapist) == 1);
    // A released lease frees its place.
    t.reset();
    CHECK(streams.open(Role::Therapist) == 0);
}
