// MQTT that trusts no one (issue 24), with the real mosquitto: the files `stillroom
// broker-config` writes make the broker refuse anonymous clients, a command forged by
// another room, and a room state forged by another room; the rooms' and the overview's
// own traffic still flows. Also the client's side: MQTT 5 Maximum Packet Size in CONNECT
// (the broker never sends what the client would drop), and nothing queued across a
// disconnect.
#include "../unit/temp_dir.hpp"
#include "helpers.hpp"
#include "process.hpp"

#include "devices/mqtt_client.hpp"

#include <doctest/doctest.h>

#include <mutex>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

void make_room(const fs::path& lib, const std::string& id, const std::string& user, int port) {
    write_text(lib / "room.json",
               R"({"room":")" + id + R"(",
      "mqtt":{"url":"mqtt://127.0.0.1:)" +
                   std::to_string(port) + R"(","username":")" + user +
                   R"(","password_file":"secrets/mqtt","base_topic":"stillroom/)" + id + R"("},
      "lights":[{"id":"z","dialect":"zigbee2mqtt","topic":"zigbee2mqtt/)" +
                   id + R"(/z","kelvin":[2200,6500]}]})");
}

// A client that records what it receives.
struct Peer {
    Peer(const std::string& id, int port, const std::string& user, const std::string& password,
         int protocol = 311, std::size_t max_payload = 64 * 1024) {
        o.port = port;
        o.username = user;
        o.password = password;
        o.client_id = "peer-" + id;
        o.protocol = protocol;
        o.max_payload = max_payload;
        client = std::make_unique<MqttClient>(o, clock);
        client->on_message([this](const std::string& t, const std::string& p) {
            std::lock_guard lock(m);
            got.push_back(t + " " + p);
        });
    }
    bool has(const std::string& line) {
        std::lock_guard lock(m);
        return std::find(got.begin(), got.end(), line) != got.end();
    }
    bool has_topic(const std::string& topic) {
        std::lock_guard lock(m);
        return std::any_of(got.begin(), got.end(),
                           [&](const std::string& l) { return l.rfind(topic + " ", 0) == 0; });
    }
    // Published and acknowledged by the broker (QoS 1): it has been handled there.
    bool handled(const std::string& topic, const std::string& payload, bool retain = false) {
        const auto before = client->acknowledged();
        return client->publish(topic, payload, 1, retain) &&
               eventually([&] { return client->acknowledged() > before; }, 50);
    }
    MqttOptions o;
    SteadyDeviceClock clock;
    std::unique_ptr<MqttClient> client;
    std::mutex m;
    std::vector<std::string> got;
};

} // namespace

TEST_CASE("broker-config: the real mosquitto with the generated files refuses anonymous clients, "
          "a forged command and a forged room state") {
    const int port = free_loopback_port();
    TempDir dir;
    make_room(dir.path / "room-1", "room-1", "room1", port);
    make_room(dir.path / "room-2", "room-2", "room2", port);
    write_text(dir.path / "clinic/clinic.json",
               R"({"clinic":"north",
      "mqtt":{"url":"mqtt://127.0.0.1:)" +
                   std::to_string(port) +
                   R"(","username":"overview","password_file":"secrets/mqtt"},
      "control":{"listen":"127.0.0.1:8099","users":[]}})");
    Process gen;
    const fs::path out = dir.path / "broker";
    REQUIRE(gen.start({STILLROOM_EXE, "broker-config", "--clinic",
                       (dir.path / "clinic/clinic.json").string(), "--rooms",
                       (dir.path / "room-1").string(), (dir.path / "room-2").string(), "--out",
                       out.string()},
                      (dir.path / "gen.log").string(), true));
    REQUIRE(eventually([&] { return gen.exited(); }, 100));
    CAPTURE(read_text(dir.path / "gen.log"));
    REQUIRE(fs::exists(out / "mosquitto/stillroom.conf"));
    // Passwords were made where room.json and clinic.json say, readable by the owner only.
    const std::string pw1 = read_text(dir.path / "room-1/secrets/mqtt");
    const std::string pw2 = read_text(dir.path / "room-2/secrets/mqtt");
    const std::string pwo = read_text(dir.path / "clinic/secrets/mqtt");
    REQUIRE(pw1.size() > 10);
    CHECK(pw1 != pw2);
    CHECK((fs::status(dir.path / "room-1/secrets/mqtt").permissions() & fs::perms::others_read) ==
          fs::perms::none);
    auto strip = [](std::string s) { return s.substr(0, s.find('\n')); };

    // The files are the owner's only (0600); the tests run as root, and mosquitto started as
    // root drops to its own user before reading them unless told to stay (a real install
    // gives them to the mosquitto user instead, docs/clinic.md).
    Broker broker(dir.path.string(), port,
                  "user root\n" + read_text(out / "mosquitto/stillroom.conf"));
    REQUIRE(broker.start());
    Peer room1("room1", port, "room1", strip(pw1)), room2("room2", port, "room2", strip(pw2)),
        overview("overview", port, "overview", strip(pwo)), anonymous("anon", port, "", ""),
        wrong("wrong", port, "room1", "not-the-password");
    room1.client->subscribe("stillroom/room-1/cmd/+");
    overview.client->subscribe("stillroom/+/state");
    overview.client->subscribe("stillroom/+/status");
    std::string error;
    for (Peer* p : {&room1, &room2, &overview, &anonymous, &wrong})
        REQUIRE(p->client->start(&error));
    REQUIRE(eventually(
        [&] {
            return room1.client->connected() && room2.client->connected() &&
                   overview.client->connected();
        },
        100));
    // Anonymous and a wrong password: refused at the door.
    CHECK_FALSE(anonymous.client->connected());
    CHECK_FALSE(wrong.client->connected());
    CHECK(eventually(
        [&] { return anonymous.client->last_error().find("refused") != std::string::npos; }, 30));
    CHECK(eventually([&] { return !wrong.client->last_error().empty(); }, 30));

    // The overview's library file reaches room 1 (its rules allow it): subscriptions stand.
    REQUIRE(eventually(
        [&] {
            overview.client->publish("stillroom/room-1/cmd/library", "{}", 1, false);
            return eventually([&] { return room1.has_topic("stillroom/room-1/cmd/library"); }, 5);
        },
        50));
    // Room 2 forges a command for room 1 and room 1's state; the broker handles both
    // (acknowledged) and delivers neither.
    REQUIRE(room2.handled("stillroom/room-1/cmd/end", "{}"));
    REQUIRE(room2.handled("stillroom/room-1/state", R"({"room":{"id":"room-1"},"session":null})",
                          true));
    REQUIRE(room2.handled("stillroom/room-2/state", R"({"room":{"id":"room-2"}})")); // its own
    // Markers after the forgeries: room 2's own state and a second library file arrive.
    CHECK(eventually([&] { return overview.has_topic("stillroom/room-2/state"); }, 50));
    room1.got.clear();
    REQUIRE(overview.handled("stillroom/room-1/cmd/library", R"({"marker":1})"));
    CHECK(
        eventually([&] { return room1.has(R"(stillroom/room-1/cmd/library {"marker":1})"); }, 50));
    CHECK_FALSE(room1.has_topic("stillroom/room-1/cmd/end"));
    CHECK_FALSE(overview.has_topic("stillroom/room-1/state"));
    // The overview may not send session commands either.
    REQUIRE(overview.handled("stillroom/room-1/cmd/start", R"({"template":"x"})"));
    REQUIRE(overview.handled("stillroom/room-1/cmd/library", R"({"marker":2})"));
    CHECK(
        eventually([&] { return room1.has(R"(stillroom/room-1/cmd/library {"marker":2})"); }, 50));
    CHECK_FALSE(room1.has_topic("stillroom/room-1/cmd/start"));
    // No retained forgery waits for the next subscriber either.
    Peer late("late", port, "overview", strip(pwo));
    late.client->subscribe("stillroom/+/state");
    REQUIRE(late.client->start(&error));
    REQUIRE(eventually([&] { return late.client->connected(); }, 50));
    REQUIRE(room2.handled("stillroom/room-2/state", R"({"room":{"id":"room-2"},"n":2})", true));
    CHECK(eventually([&] { return late.has_topic("stillroom/room-2/state"); }, 50));
    CHECK_FALSE(late.has_topic("stillroom/room-1/state"));
    for (Peer* p : {&room1, &room2, &overview, &anonymous, &wrong, &late})
        p->client->stop();
}

TEST_CASE("MQTT 5: the client's Maximum Packet Size keeps the broker from sending a large "
          "payload at all; MQTT 3.1.1 receives and drops it") {
    const int port = free_loopback_port();
    TempDir dir;
    Broker broker(dir.path.string(), port);
    REQUIRE(broker.start());
    Peer v5("v5", port, "", "", 5, 1024), v311("v311", port, "", "", 311, 1024),
        sender("sender", port, "", "", 311);
    std::string error;
    for (Peer* p : {&v5, &v311}) {
        p->client->subscribe("big/#");
        REQUIRE(p->client->start(&error));
    }
    REQUIRE(sender.client->start(&error));
    REQUIRE(eventually([&] { return v5.client->connected() && v311.client->connected(); }, 50));
    REQUIRE(eventually([&] { return sender.client->connected(); }, 50));
    // Both subscribed once a small message arrives.
    REQUIRE(eventually(
        [&] {
            sender.client->publish("big/hello", "x", 1, false);
            return eventually([&] { return v5.has("big/hello x") && v311.has("big/hello x"); }, 5);
        },
        50));
    REQUIRE(sender.handled("big/payload", std::string(20'000, 'a')));
    REQUIRE(sender.handled("big/marker", "m"));
    REQUIRE(eventually([&] { return v5.has("big/marker m") && v311.has("big/marker m"); }, 50));
    CHECK(v311.client->dropped_oversized() == 1); // it came over the wire and was dropped
    CHECK(v5.client->dropped_oversized() == 0);   // the broker never sent it
    CHECK_FALSE(v5.has_topic("big/payload"));
    for (Peer* p : {&v5, &v311, &sender})
        p->client->stop();
}

TEST_CASE("nothing is queued across a disconnect: a publish while the broker is away is refused, "
          "never delivered late") {
    const int port = free_loopback_port();
    TempDir dir;
    auto broker = std::make_unique<Broker>(dir.path.string(), port);
    REQUIRE(broker->start());
    Peer light("light", port, "", "", 311), watcher("watcher", port, "", "", 311);
    watcher.client->subscribe("zigbee2mqtt/#");
    std::string error;
    REQUIRE(light.client->start(&error));
    REQUIRE(watcher.client->start(&error));
    REQUIRE(
        eventually([&] { return light.client->connected() && watcher.client->connected(); }, 50));
    broker->kill_hard();
    REQUIRE(eventually([&] { return !light.client->connected(); }, 50));
    CHECK_FALSE(
        light.client->publish("zigbee2mqtt/r/z/set", R"({"state":"ON","stale":1})", 1, false));
    CHECK(light.client->dropped_offline() == 1);
    broker = std::make_unique<Broker>(dir.path.string(), port);
    REQUIRE(broker->start());
    REQUIRE(
        eventually([&] { return light.client->connected() && watcher.client->connected(); }, 100));
    REQUIRE(eventually(
        [&] {
            light.client->publish("zigbee2mqtt/r/z/set", R"({"state":"ON","fresh":1})", 1, false);
            return eventually([&] { return watcher.has_topic("zigbee2mqtt/r/z/set"); }, 5);
        },
        50));
    CHECK_FALSE(watcher.has(R"(zigbee2mqtt/r/z/set {"state":"ON","stale":1})"));
    light.client->stop();
    watcher.client->stop();
}
