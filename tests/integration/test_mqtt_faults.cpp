// MQTT faults with a real mosquitto on loopback: a broker that is down when the room starts
// (the room connects within seconds of it appearing and re-asserts the lights), and
// retained commands (ignored with a log line, never replayed on reconnect).
#include "../unit/temp_dir.hpp"
#include "gated_broker.hpp"
#include "helpers.hpp"
#include "process.hpp"
#include "services.hpp"

#include "devices/mqtt_client.hpp"

#include <doctest/doctest.h>

#include <mutex>
#include <sstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

void make_library(const fs::path& dir, int port, const std::string& version) {
    write_text(dir / "room.json", R"({"room":"mqtt-faults",
      "mqtt":{"url":"mqtt://127.0.0.1:)" +
                                      std::to_string(port) +
                                      R"(","base_topic":"stillroom/f","version":")" + version +
                                      R"("},
      "lights":[{"id":"z","dialect":"zigbee2mqtt","topic":"zigbee2mqtt/f/z","kelvin":[2200,6500]}]})");
    write_text(dir / "scenes/warm.json",
               R"({"lights":{"*":{"on":true,"brightness":0.4,"kelvin":2700}}})");
    write_text(dir / "scenes/comfort.json",
               R"({"lights":{"*":{"on":true,"brightness":0.2,"kelvin":2400}}})");
    write_text(
        dir / "sessions/s.json",
        R"({"name":"S","phases":[{"id":"one","until":"therapist","duration":"1h","scene":"warm","fade":"0s"}],
      "comfort":{"scene":"comfort","fade":"5s"}})");
}

bool file_has(const fs::path& f, const std::string& text) {
    return read_text(f).find(text) != std::string::npos;
}

} // namespace

TEST_CASE("MQTT: the broker is down when the room starts; the room connects when it appears and "
          "re-asserts") {
    const int port = free_loopback_port();
    TempDir dir;
    make_library(dir.path / "lib", port, "3.1.1");
    Problems problems;
    Library lib = load_library(dir.path / "lib", problems);
    REQUIRE(lib.templates.count("s") == 1);
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    RoomServices services(std::move(lib), test_room_options(dir.path / "state", "off"), clock,
                          device_clock);
    services.start();
    REQUIRE(services.room().start({"s", ""}).ok); // the lights' desired state: warm, on
    // No broker: still trying (bounded look, 1.5 s).
    CHECK_FALSE(eventually([&] { return services.mqtt()->connected(); }, 15));

    // The broker appears, first for a watcher only: the light's command is not retained, so
    // a subscriber that came after the room would miss it. Then for everyone.
    GatedBroker broker(dir.path, port);
    REQUIRE(broker.start(false));
    Process sub;
    const fs::path log = dir.path / "sub.log";
    std::vector<std::string> watch = {"mosquitto_sub"};
    for (const auto& a : broker.watcher_args())
        watch.push_back(a);
    watch.insert(watch.end(), {"-t", "#", "-v"});
    REQUIRE(sub.start(watch, log.string()));
    REQUIRE(wait_subscribed(log, broker.watcher_args(), "test/probe"));
    CHECK_FALSE(services.mqtt()->connected());
    REQUIRE(broker.open());
    // The room connects (its retry is at most 2 s apart); each wait ends on its event.
    CHECK(eventually([&] { return services.mqtt()->connected(); }, 300));
    // Status and the light's desired state, asserted again after the connect.
    CHECK(eventually([&] { return file_has(log, "stillroom/f/status online"); }, 300));
    CHECK(eventually([&] { return file_has(log, "zigbee2mqtt/f/z/set "); }, 300));
    services.stop();
}

TEST_CASE("MQTT: a retained command is ignored with a log line, on connect and live (MQTT 5)") {
    const int port = free_loopback_port();
    TempDir dir;
    Broker broker(dir.path.string(), port);
    REQUIRE(broker.start());
    const std::string p = std::to_string(port);
    // Retained before the client connects: the broker replays it on every subscribe.
    Process pub;
    REQUIRE(pub.start({"mosquitto_pub", "-h", "127.0.0.1", "-p", p, "-r", "-t",
                       "room/cmd/lights-up", "-m", "{}"}));
    REQUIRE(eventually([&] { return pub.exited(); }, 50));

    for (int protocol : {311, 5}) {
        CAPTURE(protocol);
        MqttOptions o;
        o.port = port;
        o.protocol = protocol;
        o.client_id = "retained-" + std::to_string(protocol);
        SteadyDeviceClock clock;
        MqttClient client(o, clock);
        std::mutex m;
        std::vector<std::string> got;
        client.subscribe("room/cmd/+");
        client.ignore_retained("room/cmd/+");
        client.on_message([&](const std::string& t, const std::string& payload) {
            std::lock_guard lock(m);
            got.push_back(t + " " + payload);
        });
        std::string error;
        REQUIRE(client.start(&error));
        REQUIRE(eventually([&] { return client.connected(); }, 50));
        CHECK(eventually([&] { return client.ignored_retained() >= 1; }, 50));
        // A live, not retained command after it is delivered (and only it).
        Process live;
        REQUIRE(live.start({"mosquitto_pub", "-h", "127.0.0.1", "-p", p, "-t", "room/cmd/comfort",
                            "-m", "{\"on\":true}"}));
        REQUIRE(eventually(
            [&] {
                std::lock_guard lock(m);
                return !got.empty();
            },
            50));
        std::lock_guard lock(m);
        CHECK(got == std::vector<std::string>{"room/cmd/comfort {\"on\":true}"});
        client.stop();
    }
}

TEST_CASE(
    "MQTT: the room ignores a retained command and the empty message that clears it (MQTT 5)") {
    const int port = free_loopback_port();
    TempDir dir;
    Broker broker(dir.path.string(), port);
    REQUIRE(broker.start());
    make_library(dir.path / "lib", port, "5");
    Problems problems;
    Library lib = load_library(dir.path / "lib", problems);
    INFO(problems.to_string());
    REQUIRE(lib.templates.count("s") == 1);
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    RoomServices services(std::move(lib), test_room_options(dir.path / "state", "off"), clock,
                          device_clock);
    services.start();
    REQUIRE(eventually([&] { return services.mqtt()->connected(); }, 50));
    REQUIRE(services.room().start({"s", ""}).ok);
    const std::string p = std::to_string(port);
    auto publish = [&](std::vector<std::string> args) {
        Process pub;
        std::vector<std::string> cmd = {"mosquitto_pub",          "-h", "127.0.0.1", "-p", p, "-t",
                                        "stillroom/f/cmd/comfort"};
        cmd.insert(cmd.end(), args.begin(), args.end());
        REQUIRE(pub.start(cmd));
        REQUIRE(eventually([&] { return pub.exited(); }, 50));
    };
    publish({"-r", "-m", "{\"on\":true}"});
    REQUIRE(eventually([&] { return services.mqtt()->ignored_retained() == 1; }, 50));
    CHECK(services.room().state()["session"]["comfort"] == false);
    publish({"-m", "{\"on\":true}"}); // not retained: acts
    REQUIRE(eventually([&] { return services.room().state()["session"]["comfort"] == true; }, 50));
    publish({"-r", "-n"}); // the empty retained message that clears it: ignored too
    CHECK(eventually([&] { return services.mqtt()->ignored_retained() == 2; }, 50));
    CHECK(services.room().state()["session"]["comfort"] == true);
    services.stop();
}

TEST_CASE("MQTT: a template's mqtt cues are published, QoS 1, retained only when the cue asks") {
    const int port = free_loopback_port();
    TempDir dir;
    Broker broker(dir.path.string(), port);
    REQUIRE(broker.start());
    const std::string p = std::to_string(port);
    make_library(dir.path / "lib", port, "3.1.1");
    write_text(
        dir.path / "lib/sessions/s.json",
        R"({"name":"S","phases":[{"id":"one","until":"therapist","duration":"1h","scene":"warm"}],
      "cues":[{"at":"phase:one+0s","mqtt":{"topic":"clinic/f/door","payload":{"sign":"in session"}}},
              {"at":"phase:one+0s","mqtt":{"topic":"clinic/f/sign","payload":"busy","retain":true}}]})");
    Process sub;
    const fs::path live_log = dir.path / "live.log";
    REQUIRE(sub.start(
        {"mosquitto_sub", "-h", "127.0.0.1", "-p", p, "-q", "1", "-t", "clinic/#", "-F", "%t %p"},
        live_log.string()));
    // Listening before the cues fire: the door cue is not retained, a late subscribe misses it.
    REQUIRE(wait_subscribed(live_log, {"-h", "127.0.0.1", "-p", p}, "clinic/probe-live"));
    Problems problems;
    Library lib = load_library(dir.path / "lib", problems);
    INFO(problems.to_string());
    REQUIRE(lib.templates.count("s") == 1);
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    RoomServices services(std::move(lib), test_room_options(dir.path / "state", "off"), clock,
                          device_clock);
    services.start();
    REQUIRE(eventually([&] { return services.mqtt()->connected(); }, 300));
    REQUIRE(services.room().start({"s", ""}).ok);
    // Both cues fire at the phase's start; each wait ends when its message is in the log.
    CHECK(eventually([&] { return file_has(live_log, "clinic/f/door {\"sign\":\"in session\"}"); },
                     300));
    CHECK(eventually([&] { return file_has(live_log, "clinic/f/sign busy"); }, 300));
    // A late subscriber gets only the cue that asked to be retained, flagged retained: what
    // it printed before its (not retained) probe arrived is everything retained.
    Process late;
    const fs::path late_log = dir.path / "late.log";
    REQUIRE(late.start(
        {"mosquitto_sub", "-h", "127.0.0.1", "-p", p, "-t", "clinic/#", "-F", "%r %t %p"},
        late_log.string()));
    REQUIRE(wait_subscribed(late_log, {"-h", "127.0.0.1", "-p", p}, "clinic/probe-late"));
    late.stop();
    std::string retained;
    std::istringstream lines(read_text(late_log));
    for (std::string line; std::getline(lines, line);)
        if (line.find("clinic/probe-late") == std::string::npos) retained += line + "\n";
    CHECK(retained == "1 clinic/f/sign busy\n");
    services.stop();
}
