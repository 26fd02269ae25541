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

using namespace stillroom;
using namespace stillroom::test;

TEST_CASE("MQTT: a frozen broker is given up within 5 s (liveness probe) and the next one "
          "used; without the probe the keepalive takes longer") {
    TempDir dir;
    const int port_a = free_loopback_port(), port_b = free_loopback_port();
    std::filesystem::create_directories(dir.path / "a");
    std::filesystem::create_directories(dir.path / "b");
    Broker a((dir.path / "a").string(), port_a), b((dir.path / "b").string(), port_b);
    REQUIRE(a.start());
    REQUIRE(b.start());
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
