// The clinic on a broker cluster: a two-node RabbitMQ cluster (Debian's rabbitmq-server
// with rabbitmq_mqtt, started on loopback by scripts/rabbitmq-cluster.sh), two rooms and the
// overview each given both brokers. One node is stopped: rooms and overview fail over to
// the other, the rooms publish their status and state again, and the overview keeps every
// room. RabbitMQ keeps retained messages per node, so this also proves the overview does
// not depend on them. Slow (the cluster takes tens of seconds to boot): ctest runs it as
// its own test, `clinic_cluster`, label "cluster".
#include "../unit/temp_dir.hpp"
#include "api_client.hpp"
#include "helpers.hpp"
#include "process.hpp"

#include "clinic/clinic_service.hpp"
#include "control/auth.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>

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
    bool stop_node(int n) {
        return run(cluster_script() + " stop-node " + dir.string() + " " + std::to_string(n)) == 0;
    }
    ~Cluster() { run(cluster_script() + " stop " + dir.string() + " >/dev/null 2>&1"); }
};

std::string url(int port) {
    return "mqtt://127.0.0.1:" + std::to_string(port);
}

} // namespace

TEST_CASE(
    "clinic on a RabbitMQ cluster: a node stops, rooms and overview fail over, every room stays") {
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

    // Node 1 goes away: everyone was connected to it.
    REQUIRE(cluster.stop_node(1));
    CHECK(eventually(
        [&] {
            return service.mqtt().broker() == "127.0.0.1:" + std::to_string(cluster.port2) &&
                   service.mqtt().connected();
        },
        300));
    CHECK(eventually(both_online_with_session, 300));
    const Json body = rooms_now();
    CAPTURE(body.dump());
    CHECK(body["counts"]["rooms"] == 2);
    CHECK(room_in(body, "room-a")["session"]["phase"]["name"] == "Settle");
    service.stop();
    for (auto& p : rooms)
        p->stop();
}
