// The liveness probe (devices/mqtt_client.hpp): a broker that freezes (SIGSTOP: the socket
// stays open, nothing answers) is given up within probe_quiet + probe_timeout (5 s), not
// after libmosquitto's keepalive (5 s at least, so about 10 s), and the client is on the
// next broker of its list. Two real mosquitto brokers on loopback.
#include "../unit/temp_dir.hpp"
#include "helpers.hpp"
#include "process.hpp"

#include "devices/mqtt_client.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <mutex>

using namespace stillroom;
using namespace stillroom::test;

namespace {

// Two real mosquittos on loopback, each in its own folder: the first to freeze, the next.
struct TwoBrokers {
    TempDir dir;
    int port_a = free_loopback_port(), port_b = free_loopback_port();
    Broker a{make_dir("a"), port_a}, b{make_dir("b"), port_b};
    TwoBrokers() {
        REQUIRE(a.start());
        REQUIRE(b.start());
    }
    std::string make_dir(const char* name) {
        std::filesystem::create_directories(dir.path / name);
        return (dir.path / name).string();
    }
};

} // namespace

TEST_CASE("MQTT: a frozen broker is given up within 5 s (liveness probe) and the next one "
          "used; without the probe the keepalive takes longer") {
    TwoBrokers brokers;
    const int port_a = brokers.port_a, port_b = brokers.port_b;
    Broker& a = brokers.a; // the one to freeze (b runs on, as the next)
    struct Row {
        std::string what;
        bool probe;
        double at_least_s, at_most_s;
    };
    // Without the probe: a PINGREQ once 5 s passed without traffic, and the connection given
    // up when it is still unanswered at the next check: 5 to 10 s after the freeze.
    for (const Row& row :
         {Row{"probe", true, 0.0, 5.0 + 1.0}, Row{"keepalive only", false, 4.5, 20.0}}) {
        CAPTURE(row.what);
        MqttOptions o;
        o.port = port_a;
        o.fallbacks = {{"127.0.0.1", port_b}};
        o.client_id = std::string("probe-") + (row.probe ? "on" : "off");
        if (row.probe) o.probe_topic = "test/probe/" + o.client_id;
        SteadyDeviceClock clock;
        MqttClient client(o, clock);
        std::string error;
        REQUIRE(client.start(&error));
        REQUIRE(eventually([&] { return client.connected(); }, 100));
        REQUIRE(client.broker() == "127.0.0.1:" + std::to_string(port_a));
        // At rest for a while: the probe neither fires falsely nor lets the connection go.
        std::this_thread::sleep_for(std::chrono::seconds(6));
        CHECK(client.connected());
        CHECK(client.probe_timeouts() == 0);
        CHECK(client.broker() == "127.0.0.1:" + std::to_string(port_a));

        const auto t0 = std::chrono::steady_clock::now();
        REQUIRE(kill(a.pid(), SIGSTOP) == 0);
        const std::string there = "127.0.0.1:" + std::to_string(port_b);
        const bool moved =
            eventually([&] { return client.connected() && client.broker() == there; }, 300);
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        kill(a.pid(), SIGCONT);
        MESSAGE(row.what << ": on the next broker " << s << " s after the freeze");
        CHECK(moved);
        CHECK(s >= row.at_least_s);
        CHECK(s <= row.at_most_s);
        CHECK(client.probe_timeouts() == (row.probe ? 1u : 0u));
        client.stop();
    }
}

// The handshake deadline (MqttOptions::handshake_timeout): the first broker of the list is
// frozen before the client starts, so its kernel accepts the TCP connection and no CONNACK
// ever comes. With the deadline the client is on the next broker, subscribed, about 2 s
// later; without it only libmosquitto's keepalive (5 s) ends the wait. The abandoned
// connection ends with a DISCONNECT, so the broker, once thawed, drops the client's will
// instead of publishing a stale "offline" (without the DISCONNECT, it publishes it).
TEST_CASE("MQTT: a broker that accepts the connection but never completes the handshake is "
          "left after the handshake deadline (2 s), and its will is not published late") {
    TwoBrokers brokers;
    const int port_a = brokers.port_a, port_b = brokers.port_b;
    Broker& a = brokers.a; // the one to freeze (b runs on, as the next)
    struct Row {
        std::string what;
        Ms deadline;
        double at_least_s, at_most_s;
        bool will_published; // by broker a, once thawed
    };
    for (const Row& row : {Row{"deadline 2 s", Ms{2000}, 1.9, 3.5, false},
                           Row{"no deadline", Ms{0}, 4.5, 20.0, true}}) {
        CAPTURE(row.what);
        MqttOptions o;
        o.port = port_a;
        o.fallbacks = {{"127.0.0.1", port_b}};
        o.client_id = "handshake-" + std::to_string(row.deadline.count());
        o.handshake_timeout = row.deadline;
        o.will_topic = "test/will/" + o.client_id;
        o.will_payload = "offline";
        SteadyDeviceClock clock;
        MqttClient client(o, clock);
        client.subscribe("test/commands");
        REQUIRE(kill(a.pid(), SIGSTOP) == 0);
        const auto t0 = std::chrono::steady_clock::now();
        std::string error;
        REQUIRE(client.start(&error));
        const std::string there = "127.0.0.1:" + std::to_string(port_b);
        const bool moved =
            eventually([&] { return client.connected() && client.broker() == there; }, 300);
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        MESSAGE(row.what << ": connected and subscribed on the next broker " << s
                         << " s after the start");
        CHECK(moved);
        CHECK(s >= row.at_least_s);
        CHECK(s <= row.at_most_s);
        CHECK(client.handshake_timeouts() == (row.deadline.count() > 0 ? 1u : 0u));

        // Broker a wakes: whatever it does with the abandoned connection, it does now.
        REQUIRE(kill(a.pid(), SIGCONT) == 0);
        MqttOptions wo;
        wo.port = port_a;
        wo.client_id = "will-watcher-" + std::to_string(row.deadline.count());
        std::mutex m;
        std::string will;
        MqttClient watcher(wo, clock);
        watcher.subscribe(o.will_topic);
        watcher.on_message([&](const std::string&, const std::string& payload) {
            std::lock_guard lock(m);
            will = payload;
        });
        REQUIRE(watcher.start(&error));
        REQUIRE(eventually([&] { return watcher.connected(); }, 100));
        const bool published = eventually(
            [&] {
                std::lock_guard lock(m);
                return will == "offline";
            },
            20);
        CHECK(published == row.will_published);
        watcher.stop();
        client.stop();
    }
}
