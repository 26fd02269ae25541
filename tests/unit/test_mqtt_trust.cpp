// Nothing stale, nothing in silence (issue 24): a command's "sent_at" against the room's
// wall clock (older than 5 s: answered as expired, not run), its "id" echoed in the one
// result it gets; the room's heartbeat; the overview marking a room offline after three
// missed heartbeats, acknowledging alerts (who, when), and keeping its table for real rooms.
#include "fake_mqtt.hpp"
#include "test_support.hpp"

#include "clinic/overview.hpp"
#include "control/mqtt_bridge.hpp"
#include "engine/log_budget.hpp"

#include <doctest/doctest.h>

#include <atomic>

using namespace stillroom;
using namespace stillroom::test;

namespace {

struct CountingRoom final : RoomControl {
    std::atomic<int> commands{0};
    Json state() const override { return {{"session", nullptr}}; }
    Json timeline() const override { return nullptr; }
    Json summary() const override { return nullptr; }
    CommandResult start(const StartRequest&) override { return {true, 200, "", {}}; }
    CommandResult command(const Command&) override {
        ++commands;
        return {true, 200, "", {}};
    }
};

MqttBridgeOptions options() {
    MqttBridgeOptions o;
    o.base_topic = "stillroom/r1";
    o.room_id = "r1";
    o.room_name = "Room 1";
    return o;
}

std::vector<Json> results(FakeMqtt& mqtt) {
    std::vector<Json> out;
    for (const auto& m : mqtt.take())
        if (m.topic == "stillroom/r1/result") out.push_back(Json::parse(m.payload));
    return out;
}

const DeviceTime t0{Ms{10'000'000}};
DeviceTime at(double seconds) {
    return t0 + Ms{static_cast<Ms::rep>(seconds * 1000)};
}

Json state_of(const std::string& id, bool running, bool flagged = false) {
    Json session = nullptr;
    if (running)
        session = {{"id", "s-1"},
                   {"status", "running"},
                   {"since_start", 100},
                   {"since_dose", 50},
                   {"held", false},
                   {"reminders", Json::array()},
                   {"vitals_flagged", flagged}};
    return {{"room", {{"id", id}, {"name", id}}}, {"session", session}, {"devices", Json::array()}};
}

Json room_of(const Json& rooms, const std::string& id) {
    for (const auto& r : rooms)
        if (r["room"] == id) return r;
    return nullptr;
}

} // namespace

TEST_CASE("a command's sent_at: older than 5 s is answered as expired and not run; the id is "
          "echoed; no sent_at runs on arrival") {
    FakeMqtt mqtt;
    CountingRoom room;
    ManualDeviceClock clock;
    MqttBridge bridge(options(), mqtt, room, clock);
    bridge.start();
    const double now_s = static_cast<double>(clock.wall_unix_ms()) / 1000.0;
    struct Row {
        const char* what;
        std::string payload;
        bool runs;
        const char* error_has; // "" when it runs
    };
    const Row rows[] = {
        {"no time: runs on arrival", R"({"id":"a1"})", true, ""},
        {"4.9 s old", R"({"id":"a2","sent_at":)" + std::to_string(now_s - 4.9) + "}", true, ""},
        {"5.1 s old", R"({"id":"a3","sent_at":)" + std::to_string(now_s - 5.1) + "}", false,
         "expired"},
        {"10 minutes old", R"({"id":7,"sent_at":)" + std::to_string(now_s - 600) + "}", false,
         "expired"},
        {"an hour ahead (the sender's clock)",
         R"({"id":"a5","sent_at":)" + std::to_string(now_s + 3600) + "}", false, "ahead"},
        {"not a number", R"({"id":"a6","sent_at":"yesterday"})", false, "Unix seconds"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.what);
        const int before = room.commands.load();
        mqtt.deliver("stillroom/r1/cmd/hold", row.payload);
        REQUIRE(soon([&] { return mqtt.count() >= 1; }));
        const auto got = results(mqtt);
        REQUIRE(got.size() == 1); // exactly one answer, never silence
        const Json& r = got[0];
        CHECK(r["action"] == "hold");
        CHECK(r["id"] == Json::parse(row.payload)["id"]);
        CHECK(r["ok"] == row.runs);
        CHECK(room.commands.load() == before + (row.runs ? 1 : 0));
        if (!row.runs) {
            CHECK(r["error"].get<std::string>().find(row.error_has) != std::string::npos);
            CHECK(r.value("expired", false) == (std::string(row.error_has) == "expired"));
        }
    }
    CHECK(bridge.expired() == 2);
    bridge.stop();
}

TEST_CASE("the room's heartbeat: every heartbeat_every while connected, QoS 0, not retained") {
    FakeMqtt mqtt;
    CountingRoom room;
    ManualDeviceClock clock;
    MqttBridgeOptions o = options();
    o.heartbeat_every = std::chrono::milliseconds(10'000);
    MqttBridge bridge(o, mqtt, room, clock);
    bridge.start();
    mqtt.take();
    auto beats = [&] {
        int n = 0;
        for (const auto& m : mqtt.take())
            if (m.topic == "stillroom/r1/heartbeat") {
                CHECK(m.qos == 0);
                CHECK_FALSE(m.retain);
                CHECK(Json::parse(m.payload)["every_s"] == 10.0);
                ++n;
            }
        return n;
    };
    for (int i = 1; i <= 3; ++i) {
        CAPTURE(i);
        clock.advance_by(Ms{10'000});
        REQUIRE(soon([&] { return bridge.heartbeats() >= static_cast<std::uint64_t>(i); }));
    }
    CHECK(beats() == 3);
    bridge.stop();
}

TEST_CASE("the overview: a room that misses three heartbeats is offline (in session: an alert)") {
    Overview o;
    o.on_message("stillroom/a/status", "online", at(0));
    o.on_message("stillroom/a/state", dump_json(state_of("a", true)), at(0));
    o.on_message("stillroom/b/status", "online", at(0)); // sends no heartbeat (older version)
    CHECK_FALSE(o.on_message("stillroom/zz/heartbeat", R"({"every_s":10})", at(0))); // unknown
    o.on_message("stillroom/a/heartbeat", R"({"every_s":10,"at":1})", at(0));
    struct Row {
        double t;
        bool online;
    };
    for (const Row row : {Row{10, true}, Row{29.9, true}, Row{30.1, false}, Row{400, false}}) {
        CAPTURE(row.t);
        const Json a = room_of(o.rooms(at(row.t)), "a");
        CHECK(a["online"] == row.online);
        const bool alert = !a["alerts"].empty() && a["alerts"][0]["kind"] == "offline_in_session";
        CHECK(alert == !row.online);
        if (!row.online) {
            CHECK(a["alerts"][0]["text"].get<std::string>().find("offline in session") == 0);
            CHECK(a["offline_reason"].get<std::string>().find("no heartbeat") == 0);
        }
        CHECK(room_of(o.rooms(at(row.t)), "b")["online"] == true); // no heartbeats: status only
    }
    // It beats again: online, and the page is told.
    CHECK(o.on_message("stillroom/a/heartbeat", R"({"every_s":10})", at(401)));
    CHECK(room_of(o.rooms(at(401)), "a")["online"] == true);
    CHECK(room_of(o.rooms(at(401)), "a")["alerts"].empty());
}

TEST_CASE("the overview: an alert is acknowledged (who, when) until it clears; then it is new") {
    Overview o;
    o.on_message("stillroom/a/status", "online", at(0));
    o.on_message("stillroom/a/state", dump_json(state_of("a", true, true)), at(0));
    Json a = room_of(o.rooms(at(1)), "a");
    REQUIRE(a["alerts"].size() == 1);
    const std::string id = a["alerts"][0]["id"];
    CHECK(id == "vitals_flagged");
    CHECK(a["alerts"][0]["acked_by"].is_null());
    CHECK_FALSE(o.acknowledge("a", "device_fault:lights", "nurse", 1790000000, at(2))); // none
    CHECK_FALSE(o.acknowledge("b", id, "nurse", 1790000000, at(2)));                    // no room
    CHECK(o.acknowledge("a", id, "nurse", 1790000000, at(2)));
    a = room_of(o.rooms(at(3)), "a");
    REQUIRE(a["alerts"].size() == 1); // still listed: acknowledged is not solved
    CHECK(a["alerts"][0]["acked_by"] == "nurse");
    CHECK(a["alerts"][0]["acked_at"] == 1790000000);
    // The room says the reading is back in range: the alert clears, and so does the ack.
    o.on_message("stillroom/a/state", dump_json(state_of("a", true, false)), at(4));
    CHECK(room_of(o.rooms(at(5)), "a")["alerts"].empty());
    o.on_message("stillroom/a/state", dump_json(state_of("a", true, true)), at(6));
    a = room_of(o.rooms(at(7)), "a");
    REQUIRE(a["alerts"].size() == 1);
    CHECK(a["alerts"][0]["acked_by"].is_null()); // a new flag is a new alert
}

TEST_CASE("the overview's table: junk never seen online makes way for a real room; real rooms "
          "are never pushed out") {
    OverviewOptions opt;
    opt.max_rooms = 3;
    Overview o(opt);
    // Retained junk: states of rooms that never said online.
    for (int i = 0; i < 3; ++i)
        o.on_message("stillroom/junk" + std::to_string(i) + "/state",
                     dump_json(state_of("junk" + std::to_string(i), true)), at(i));
    CHECK(o.rooms(at(3)).size() == 3);
    // A real room arrives: the longest-silent junk goes.
    CHECK(o.on_message("stillroom/real1/status", "online", at(4)));
    CHECK(o.on_message("stillroom/real2/status", "online", at(5)));
    CHECK(o.on_message("stillroom/real3/status", "online", at(6)));
    Json rooms = o.rooms(at(7));
    REQUIRE(rooms.size() == 3);
    for (const auto& r : rooms)
        CHECK(r["room"].get<std::string>().rfind("real", 0) == 0);
    // More junk, and a room going offline: real rooms stay.
    o.on_message("stillroom/real2/status", "offline", at(8));
    CHECK_FALSE(o.on_message("stillroom/junk9/state", dump_json(state_of("junk9", true)), at(9)));
    CHECK_FALSE(o.on_message("stillroom/fake/status", "online", at(9)));
    CHECK(room_of(o.rooms(at(10)), "real2")["online"] == false);
    CHECK(o.rooms(at(10)).size() == 3);
}

TEST_CASE("refused MQTT messages are logged at a bounded rate; the held-back count comes with "
          "the next line") {
    LogBudget budget(5, Ms{10'000});
    int logged = 0;
    for (int i = 0; i < 10'000; ++i) // a flood within one window
        logged += budget.allow(at(static_cast<double>(i) / 2000.0)).has_value();
    CHECK(logged == 5);
    CHECK_FALSE(budget.allow(at(9.99)).has_value());
    const auto next = budget.allow(at(10.0)); // a new window
    REQUIRE(next.has_value());
    CHECK(*next == 10'000 - 5 + 1);
    CHECK(budget.allow(at(10.1)) == std::optional<std::uint64_t>(0)); // nothing held since
}
