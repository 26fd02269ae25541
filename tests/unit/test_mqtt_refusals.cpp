// A flood of refused MQTT commands leaves a bounded trace in the session's record (issue
// 24: a 20 s flood once wrote 54 MB): at most one "refused" record per kind per second,
// whose "count" fields add up to every refusal, with no word of what the sender wrote. A
// real Room on a manual clock, the real bridge, a fake broker link.
#include "fake_mqtt.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

#include "control/mqtt_bridge.hpp"
#include "engine/journal.hpp"
#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <map>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

Library one_phase_library(const fs::path& dir) {
    fs::create_directories(dir / "sessions");
    std::ofstream(dir / "room.json") << R"({"room":"r"})";
    std::ofstream(dir / "sessions/s.json")
        << R"({"name":"S","phases":[{"id":"a","until":"therapist","duration":"1h"}]})";
    Problems problems;
    return load_library(dir, problems);
}

std::vector<Json> refusal_records(const fs::path& state, const std::string& id) {
    std::vector<Json> out;
    for (const auto& r : read_journal(state / "sessions" / (id + ".jsonl")).records)
        if (r.value("type", "") == "refused") out.push_back(r);
    return out;
}

} // namespace

TEST_CASE("a flood of refused MQTT commands: at most one journal record per kind per second, "
          "every refusal counted, nothing the sender wrote") {
    TempDir dir;
    ManualClock session_clock;
    ManualDeviceClock device_clock;
    Room room(one_phase_library(dir.path / "lib"), dir.path / "state", session_clock);
    REQUIRE(room.start({"s", ""}).ok);
    const std::string id = room.state()["session"]["id"];
    FakeMqtt mqtt;
    MqttBridgeOptions o;
    o.base_topic = "stillroom/r";
    o.room_id = "r";
    o.room_name = "R";
    MqttBridge bridge(o, mqtt, room, device_clock);
    bridge.start();

    // A patient's name in every payload (and in a made-up action): none may reach the record.
    const double now_s = static_cast<double>(device_clock.wall_unix_ms()) / 1000.0;
    const std::string old = std::to_string(now_s - 60);
    struct Kind {
        const char* kind;
        std::string topic, payload;
    };
    const std::vector<Kind> kinds = {
        {"not_json", "cmd/hold", "Jane Doe, 54"},
        {"unknown_action", "cmd/jane-doe", "{}"},
        {"bad_input", "cmd/hold", R"({"note":"Jane Doe"})"},
        {"expired", "cmd/hold", R"({"sent_at":)" + old + R"(,"id":"Jane Doe"})"},
        {"bad_time", "cmd/hold", R"({"sent_at":"Jane Doe"})"},
        {"refused", "cmd/skip", "{}"}, // no music in this session: the session refuses it
    };
    constexpr int kSeconds = 5, kPerSecond = 40; // 40 of each kind a second
    std::uint64_t sent = 0;
    for (int s = 0; s < kSeconds; ++s) {
        for (int i = 0; i < kPerSecond; ++i)
            for (const auto& k : kinds) {
                mqtt.deliver("stillroom/r/" + k.topic, k.payload);
                ++sent;
            }
        // Some overflowed the bridge's queue of 64: counted as queue_full, not lost.
        REQUIRE(soon([&] { return bridge.refused() == sent; }));
        session_clock.advance_by(Ms{250});
        device_clock.advance_by(Ms{250});
        room.tick();
        session_clock.advance_by(Ms{750});
        device_clock.advance_by(Ms{750});
        room.tick(); // a second ends: what it held back is journaled as one record
    }
    session_clock.advance_by(Ms{1000});
    room.tick();

    const std::vector<Json> records = refusal_records(dir.path / "state", id);
    std::uint64_t counted = 0;
    std::map<std::string, std::vector<std::int64_t>> times; // per kind
    for (const auto& r : records) {
        CAPTURE(r.dump());
        CHECK(r["by"] == "mqtt");
        CHECK(r.dump().find("Jane") == std::string::npos);
        CHECK(r.dump().find("jane") == std::string::npos);
        CHECK(r["count"].get<std::uint64_t>() >= 1);
        counted += r["count"].get<std::uint64_t>();
        times[r["kind"].get<std::string>()].push_back(r["t"].get<std::int64_t>());
    }
    CHECK(counted == sent); // every refusal, exactly once
    CHECK(bridge.refused() == sent);
    for (const auto& k : kinds) {
        CAPTURE(k.kind);
        CHECK(times.count(k.kind) == 1);
    }
    CHECK(times.count("queue_full") == 1); // 240 a second against a queue of 64
    for (const auto& [kind, ts] : times) {
        CAPTURE(kind);
        CHECK(ts.size() <= kSeconds + 1);
        for (std::size_t i = 1; i < ts.size(); ++i) {
            CAPTURE(i);
            CHECK(ts[i] - ts[i - 1] >= 1000); // one record per kind per second at most
        }
    }
    CHECK(records.size() <= (kinds.size() + 1) * (kSeconds + 1));

    // Quiet again: the next refusal is journaled at once, on its own, with its command.
    const std::uint64_t before = bridge.refused();
    session_clock.advance_by(Ms{5000});
    device_clock.advance_by(Ms{5000});
    mqtt.deliver("stillroom/r/cmd/skip", "{}");
    REQUIRE(soon([&] { return bridge.refused() == before + 1; }));
    const std::vector<Json> after = refusal_records(dir.path / "state", id);
    REQUIRE(after.size() == records.size() + 1);
    CHECK(after.back()["cmd"] == "skip");
    CHECK(after.back()["count"] == 1);
    CHECK(after.back()["reason"] == "no music is playing");

    // The tablet's refusals are the therapist's: each one is journaled.
    Command skip;
    skip.kind = CommandKind::Skip;
    for (int i = 0; i < 3; ++i)
        CHECK_FALSE(room.command_by(skip, "ana").ok);
    CHECK(refusal_records(dir.path / "state", id).size() == after.size() + 3);
    bridge.stop();
}

TEST_CASE("refusals held back in the session's last second are journaled before its end") {
    TempDir dir;
    ManualClock session_clock;
    Room room(one_phase_library(dir.path / "lib"), dir.path / "state", session_clock);
    REQUIRE(room.start({"s", ""}).ok);
    const std::string id = room.state()["session"]["id"];
    Command end;
    end.kind = CommandKind::End;
    REQUIRE(room.command(end).ok);
    // Three refusals every 70 ms through the end fade, up to the tick that finishes it: the
    // last second's are held back when the session finishes.
    std::uint64_t sent = 0;
    for (int step = 0; step < 36000 && room.state()["session"].value("status", "") != "finished";
         ++step) {
        room.journal_refusal("mqtt", "not_json", "unknown", 3);
        sent += 3;
        session_clock.advance_by(Ms{70}); // not a divisor of the 1 s window
        room.tick();
    }
    REQUIRE(room.state()["session"].value("status", "") == "finished");
    std::uint64_t counted = 0;
    for (const auto& r : refusal_records(dir.path / "state", id))
        counted += r["count"].get<std::uint64_t>();
    CHECK(counted == sent);
    const auto records = read_journal(dir.path / "state" / "sessions" / (id + ".jsonl")).records;
    REQUIRE_FALSE(records.empty());
    CHECK(records.back().value("type", "") != "refused"); // nothing after the end
}

TEST_CASE("a flagged reading is seen during the session, not after it has ended") {
    TempDir dir;
    ManualClock session_clock;
    Room room(one_phase_library(dir.path / "lib"), dir.path / "state", session_clock);
    REQUIRE(room.start({"s", ""}).ok);
    Command vitals;
    vitals.kind = CommandKind::Vitals;
    vitals.vitals.systolic = 190;
    vitals.vitals.diastolic = 100;
    const CommandResult reading = room.command(vitals);
    REQUIRE(reading.ok);
    Command end;
    end.kind = CommandKind::End;
    REQUIRE(room.command(end).ok);
    for (int step = 0; step < 3600 && room.state()["session"].value("status", "") != "finished";
         ++step) {
        session_clock.advance_by(Ms{1000});
        room.tick();
    }
    REQUIRE(room.state()["session"].value("status", "") == "finished");
    const CommandResult late = room.ack_reading(reading.seq, "t");
    CHECK_FALSE(late.ok);
    CHECK(late.status == 409);
    CHECK(late.message.find("has ended") != std::string::npos);
}

TEST_CASE("RefusalBudget: one per kind per window; held-back refusals come due as one count") {
    RefusalBudget budget(Ms{1000});
    const MonoTime t0{Ms{0}};
    CHECK(budget.allow("a", t0) == std::optional<std::uint64_t>(1));
    CHECK_FALSE(budget.allow("a", t0 + Ms{10}));
    CHECK_FALSE(budget.allow("a", t0 + Ms{999}, 5));                           // a burst of five
    CHECK(budget.allow("b", t0 + Ms{999}) == std::optional<std::uint64_t>(1)); // its own kind
    CHECK(budget.due(t0 + Ms{999}).empty());
    const auto due = budget.due(t0 + Ms{1000});
    REQUIRE(due.size() == 1);
    CHECK(due[0] == std::pair<std::string, std::uint64_t>{"a", 6});
    CHECK_FALSE(budget.allow("a", t0 + Ms{1500})); // the summary was the second's record
    CHECK(budget.allow("a", t0 + Ms{2000}) == std::optional<std::uint64_t>(2));
}
