// The clinic on a broker cluster: a two-node RabbitMQ cluster (Debian's rabbitmq-server
// with rabbitmq_mqtt, started on loopback by scripts/rabbitmq-cluster.sh), two rooms and the
// overview each given both brokers. The node everyone is on crashes (SIGKILL) and is
// restarted, then the other one hangs (SIGSTOP): each time rooms and overview fail over to the
// surviving node, the rooms publish their status and state again, and the overview keeps every
// room. RabbitMQ keeps retained messages per node, so this also proves the overview does not depend
// on them. Slow (the cluster takes tens of seconds to boot, a hang about 7 s to get past): ctest
// runs it as its own test, `clinic_cluster`, label "cluster".
#include "../unit/temp_dir.hpp"
#include "api_client.hpp"
#include "helpers.hpp"
#include "process.hpp"

#include "clinic/clinic_service.hpp"
#include "control/auth.hpp"
#include "devices/mqtt_client.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

std::string cluster_script() {
    return std::string(STILLROOM_SOURCE_DIR) + "/scripts/rabbitmq-cluster.sh";
}

int run(const std::string& command) {
    return std::system(command.c_str());
}

struct Cluster {
    fs::path dir;
    int port1 = free_loopback_port(), port2 = free_loopback_port();
    explicit Cluster(fs::path d) : dir(std::move(d)) {}
    bool start() {
        return run(cluster_script() + " start " + dir.string() + " " + std::to_string(port1) + " " +
                   std::to_string(port2) + " >" + (dir / "cluster.log").string() + " 2>&1") == 0;
    }
    // "kill-node" (SIGKILL), "freeze-node" (SIGSTOP), "thaw-node" (SIGCONT), "start-node".
    bool node(const std::string& what, int n) {
        return run(cluster_script() + " " + what + " " + dir.string() + " " + std::to_string(n) +
                   " >>" + (dir / "cluster.log").string() + " 2>&1") == 0;
    }
    int port(int n) const { return n == 1 ? port1 : port2; }
    ~Cluster() { run(cluster_script() + " stop " + dir.string() + " >/dev/null 2>&1"); }
};

std::string url(int port) {
    return "mqtt://127.0.0.1:" + std::to_string(port);
}

// A script's view of one broker node: asks each room for something harmless (an unknown
// action, which every room answers on its result topic), records who answered, and when
// each room's state last arrived here.
struct Probe {
    using Clock = std::chrono::steady_clock;
    explicit Probe(int port) {
        MqttOptions o;
        o.port = port;
        o.client_id = "probe-" + std::to_string(port);
        client = std::make_unique<MqttClient>(o, clock);
        client->subscribe("stillroom/+/result");
        client->subscribe("stillroom/+/state");
        client->subscribe("stillroom/+/status");
        client->on_message([this](const std::string& topic, const std::string& payload) {
            std::lock_guard lock(m);
            if (topic.ends_with("/state")) {
                state_at[topic] = Clock::now();
                return;
            }
            if (topic.ends_with("/status")) { // a room (re)connected through this node
                if (payload == "online") status_at[topic] = Clock::now();
                return;
            }
            const Json r = Json::parse(payload, nullptr, false);
            if (r.is_object() && r.value("id", 0) == round && answered.insert(topic).second)
                answered_at[topic] = Clock::now();
        });
        std::string error;
        client->start(&error);
    }
    // Both rooms answered a command sent through this node since next_round(); sends it
    // again (a new round each call would lose answers in flight, so the id stays).
    bool both_answered() {
        int id = 0;
        {
            std::lock_guard lock(m);
            if (answered.size() == 2) return true;
            id = round;
        }
        const std::string ping = R"({"id":)" + std::to_string(id) + "}";
        client->publish("stillroom/room-a/cmd/ping", ping, 0, false);
        client->publish("stillroom/room-b/cmd/ping", ping, 0, false);
        return false;
    }
    void next_round() {
        std::lock_guard lock(m);
        ++round;
        answered.clear();
    }
    // Both rooms' state arrived here after `t` (they said it again through a live node).
    bool states_since(Clock::time_point t) {
        std::lock_guard lock(m);
        int fresh = 0;
        for (const std::string room : {"room-a", "room-b"}) {
            auto it = state_at.find("stillroom/" + room + "/state");
            fresh += it != state_at.end() && it->second > t;
        }
        return fresh == 2;
    }
    SteadyDeviceClock clock;
    std::unique_ptr<MqttClient> client;
    std::mutex m;
    int round = 1;
    std::set<std::string> answered;
    std::map<std::string, Clock::time_point> state_at, status_at, answered_at;
    // When each room said online through this node and first answered, seconds after `t0`.
    std::string timeline(Clock::time_point t0) {
        std::lock_guard lock(m);
        std::string out;
        for (const std::string room : {"room-a", "room-b"}) {
            auto secs = [&](const std::map<std::string, Clock::time_point>& at,
                            const std::string& topic) {
                auto it = at.find(topic);
                return it == at.end() || it->second < t0
                           ? std::string("-")
                           : std::to_string(std::chrono::duration<double>(it->second - t0).count());
            };
            out += room + ": online " + secs(status_at, "stillroom/" + room + "/status") +
                   " s, answered " + secs(answered_at, "stillroom/" + room + "/result") + " s; ";
        }
        return out;
    }
};

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

TEST_CASE("clinic on a RabbitMQ cluster: the rooms' node hangs (SIGSTOP), later the other one "
          "crashes (SIGKILL); rooms and overview fail over each time, say everything again, "
          "and every room stays") {
    TempDir dir;
    Cluster cluster(dir.path / "cluster");
    fs::create_directories(cluster.dir);
    REQUIRE_MESSAGE(cluster.start(), read_text(cluster.dir / "cluster.log"));

    const Json brokers = Json::array({url(cluster.port1), url(cluster.port2)});
    std::vector<std::unique_ptr<Process>> rooms;
    for (const std::string id : {"room-a", "room-b"}) {
        const fs::path lib = dir.path / id;
        write_text(lib / "room.json",
                   Json{{"room", id},
                        {"mqtt", {{"url", brokers}, {"client_id", "stillroom-" + id}}},
                        {"lights", Json::array({{{"id", "lamp"}, {"dialect", "simulated"}}})}}
                       .dump());
        write_text(lib / "scenes/calm.json", R"({"lights":{"*":{"on":true,"brightness":0.2}}})");
        write_text(
            lib / "sessions/s.json",
            R"({"name":"Short","phases":[{"id":"settle","name":"Settle","until":"therapist","duration":"1h","scene":"calm"}]})");
        auto p = std::make_unique<Process>();
        std::vector<std::string> argv = {STILLROOM_EXE, "run",         "--library",
                                         lib.string(),  "--state-dir", (lib / "state").string(),
                                         "--audio",     "off",         "--listen",
                                         "off"};
        if (id == "room-a") {
            argv.push_back("--start");
            argv.push_back("s");
        }
        REQUIRE(p->start(argv, (dir.path / (id + ".log")).string(), true));
        rooms.push_back(std::move(p));
    }

    Problems problems;
    const int http_port = free_loopback_port();
    auto config = load_clinic_config(
        Json{{"clinic", "north"},
             {"mqtt", {{"url", brokers}}},
             {"control",
              {{"listen", "127.0.0.1:" + std::to_string(http_port)},
               {"users",
                Json::array(
                    {{{"name", "desk"}, {"role", "clinic"}, {"pin_hash", hash_pin("2468")}}})}}}},
        problems);
    REQUIRE_MESSAGE(config, problems.to_string());
    SteadyDeviceClock clock;
    ClinicService service(*config, clock);
    REQUIRE_FALSE(service.start());
    ApiClient api(http_port);
    const std::string token = api.login("2468");
    auto rooms_now = [&] {
        auto r = api.get("/api/v1/rooms", token);
        return r && r->status == 200 ? Json::parse(r->body, nullptr, false) : Json::object();
    };
    auto both_online_with_session = [&] {
        const Json body = rooms_now();
        const Json a = room_in(body, "room-a"), b = room_in(body, "room-b");
        return a.is_object() && b.is_object() && a["online"] == true && b["online"] == true &&
               a["session"].is_object();
    };
    CHECK(eventually(both_online_with_session, 300));
    CHECK(service.mqtt().broker() == "127.0.0.1:" + std::to_string(cluster.port1));
    Probe probe1(cluster.port1), probe2(cluster.port2);
    REQUIRE(eventually([&] { return probe1.both_answered(); }, 300));

    // Node `from` (everyone is on it) fails by `how`: rooms answer through node `to`, the
    // overview is connected there, and both rooms' state arrived there after the failure.
    // Returns the seconds until all of that held (the goal, 10 s, is measured and reported
    // by MESSAGE; the bound here only keeps a broken failover from passing).
    auto fail_over = [&](const std::string& how, int from, Probe& probe, int to) {
        probe.next_round();
        const auto t0 = std::chrono::steady_clock::now();
        REQUIRE(cluster.node(how, from));
        const std::string there = "127.0.0.1:" + std::to_string(cluster.port(to));
        double overview_s = -1; // when the overview was first seen connected there
        const bool moved = eventually(
            [&] {
                const bool overview =
                    service.mqtt().connected() && service.mqtt().broker() == there;
                if (overview && overview_s < 0) overview_s = seconds_since(t0);
                return probe.both_answered() && overview && probe.states_since(t0);
            },
            300);
        const double s = seconds_since(t0);
        CHECK_MESSAGE(moved,
                      how << " of node " << from << ": " << read_text(cluster.dir / "cluster.log"));
        CHECK(eventually(both_online_with_session, 100));
        MESSAGE(how << " of node " << from << ": both rooms answer through node " << to
                    << ", their state arrived there and the overview is connected there after " << s
                    << " s (" << probe.timeline(t0) << "overview connected " << overview_s
                    << " s)\nroom-a's log:\n"
                    << read_text(dir.path / "room-a.log"));
        return s;
    };

    // A crash of the node everyone is on: its TCP connections reset at once.
    CHECK(fail_over("kill-node", 1, probe2, 2) < 20);

    // It is restarted and rejoins the cluster: commands sent through it reach the rooms on
    // the other node again. (A restart after a crash, not a thaw: a thawed node is healed
    // by autoheal restarting it, which took longer than 120 s in one run of this test.)
    REQUIRE(cluster.node("start-node", 1));
    probe1.next_round();
    REQUIRE_MESSAGE(eventually([&] { return probe1.both_answered(); }, 1200),
                    read_text(cluster.dir / "cluster.log"));

    // A hang of the node everyone is now on: the liveness probe gives it up within 5 s; the
    // other node holds their first SUBSCRIBE (their client ids were on the frozen node) until
    // well after it declared its peer down (net_ticktime 5 s), and the handshake deadline
    // (2 s) replaces that connection by one it serves at once: about 7 s measured, the goal
    // 10 s; the bound leaves room for one more 2 s round on a loaded machine.
    CHECK(fail_over("freeze-node", 2, probe1, 1) < 15);

    const Json body = rooms_now();
    CAPTURE(body.dump());
    CHECK(body["counts"]["rooms"] == 2);
    CHECK(room_in(body, "room-a")["session"]["phase"]["name"] == "Settle");
    service.stop();
    for (auto& p : rooms)
        p->stop();
}
