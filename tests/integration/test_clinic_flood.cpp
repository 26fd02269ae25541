// A stranger floods the clinic overview's topics (issue 24: a flood once held a room's
// command back 12.3 s): from 127.0.0.2, as fast as the real mosquitto takes them, made-up
// room states of 100 KB on `stillroom/junk-N/state` (shaped like a room's, so they would be
// parsed) and overview announcements on `stillroom-clinic/evil/status` (each asks every room
// for its status and state again). Meanwhile a script's command to a real `stillroom run`
// room gets its answer, the overview's API answers, and a library file the overview sends
// to the room is acknowledged on the overview, each within 3 s.
#include "../unit/temp_dir.hpp"
#include "api_client.hpp"
#include "helpers.hpp"
#include "process.hpp"

#include "clinic/clinic_service.hpp"
#include "control/auth.hpp"
#include "devices/mqtt_client.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

namespace {

// Generous for a shared 2-core machine (the flood itself takes most of it); 12.3 s was measured
// before, and the answers here take 5-300 ms (MESSAGE).
constexpr double kBoundS = 3.0;

double since(Steady::time_point t) {
    return std::chrono::duration<double>(Steady::now() - t).count();
}

// Publishes until told to stop (bounded: at most `max_messages`), at most 64 unacknowledged
// QoS 1 messages at a time: as fast as the broker takes them.
struct Flood {
    Flood(int port, std::size_t max_messages) {
        MqttOptions o;
        o.port = port;
        o.client_id = "stranger";
        o.bind_address = "127.0.0.2";
        client = std::make_unique<MqttClient>(o, clock);
        std::string error;
        client->start(&error);
        thread = std::thread([this, max_messages] { run(max_messages); });
    }
    ~Flood() {
        stop = true;
        thread.join();
        client->stop();
    }
    void run(std::size_t max_messages) {
        const std::string pad(100 * 1024, 'x');
        for (std::size_t i = 0; i < max_messages && !stop.load(); ++i) {
            for (int spin = 0;
                 spin < 5000 && !stop.load() &&
                 (!client->connected() || client->published() > client->acknowledged() + 64);
                 ++spin)
                std::this_thread::sleep_for(std::chrono::milliseconds(1)); // flow control
            const std::string room = "junk-" + std::to_string(i % 300);
            if (i % 4 == 0)
                client->publish("stillroom-clinic/evil/status", "online", 1, false);
            else
                client->publish("stillroom/" + room + "/state",
                                Json{{"room", {{"id", room}, {"name", room}}},
                                     {"session", nullptr},
                                     {"pad", pad}}
                                    .dump(),
                                1, false);
            sent = i + 1;
        }
    }
    SteadyDeviceClock clock;
    std::unique_ptr<MqttClient> client;
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> sent{0};
    std::thread thread;
};

// A script: sends commands to a room and times each answer on its result topic.
struct Script {
    explicit Script(int port) {
        MqttOptions o;
        o.port = port;
        o.client_id = "script";
        client = std::make_unique<MqttClient>(o, clock);
        client->subscribe("stillroom/room-a/result");
        client->on_message([this](const std::string&, const std::string& payload) {
            const Json r = Json::parse(payload, nullptr, false);
            if (!r.is_object() || !r.contains("id") || !r["id"].is_number_integer()) return;
            std::lock_guard lock(m);
            answered[r["id"].get<int>()] = Steady::now();
            cv.notify_all();
        });
        std::string error;
        client->start(&error);
    }
    // Seconds from sending command `id` to its answer; -1 when none came within 10 s.
    double round_trip(int id) {
        const auto t0 = Steady::now();
        client->publish("stillroom/room-a/cmd/hold", R"({"id":)" + std::to_string(id) + "}", 1,
                        false);
        std::unique_lock lock(m);
        if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return answered.count(id) > 0; }))
            return -1;
        return std::chrono::duration<double>(answered[id] - t0).count();
    }
    SteadyDeviceClock clock;
    std::unique_ptr<MqttClient> client;
    std::mutex m;
    std::condition_variable cv;
    std::map<int, Steady::time_point> answered;
};

} // namespace

TEST_CASE("a stranger floods the overview's topics: a room's command is answered, the "
          "overview's API answers and a library change is acknowledged, each within 3 s") {
    TempDir dir;
    const int port = free_loopback_port();
    Broker broker(dir.path.string(), port);
    REQUIRE(broker.start());
    const fs::path lib = dir.path / "room-a";
    write_text(
        lib / "room.json",
        Json{{"room", "room-a"},
             {"mqtt",
              {{"url", "mqtt://127.0.0.1:" + std::to_string(port)}, {"library_commands", true}}},
             {"lights", Json::array({{{"id", "lamp"}, {"dialect", "simulated"}}})}}
            .dump());
    write_text(lib / "sessions/s.json",
               R"({"name":"S","phases":[{"id":"a","until":"therapist","duration":"1h"}]})");
    Process room;
    REQUIRE(
        room.start({STILLROOM_EXE, "run", "--library", lib.string(), "--state-dir",
                    (lib / "state").string(), "--audio", "off", "--listen", "off", "--start", "s"},
                   (dir.path / "room.log").string(), true));

    Problems problems;
    const int http_port = free_loopback_port();
    auto config = load_clinic_config(
        Json{{"clinic", "north"},
             {"mqtt", {{"url", "mqtt://127.0.0.1:" + std::to_string(port)}}},
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
    auto room_a = [&] {
        auto r = api.get("/api/v1/rooms", token);
        if (!r || r->status != 200) return Json(nullptr);
        return room_in(Json::parse(r->body, nullptr, false), "room-a");
    };
    REQUIRE(eventually(
        [&] {
            const Json a = room_a();
            return a.is_object() && a["online"] == true && a["session"].is_object();
        },
        300));
    Script script(port);
    REQUIRE(eventually([&] { return script.client->connected(); }, 100));
    REQUIRE(script.round_trip(1) >= 0); // the subscription is in place

    Flood flood(port, 200'000);
    REQUIRE(eventually([&] { return flood.sent.load() > 2000; }, 300)); // in full flow
    for (int i = 0; i < 10; ++i) {
        CAPTURE(i);
        const double rtt = script.round_trip(100 + i);
        MESSAGE("command " << i << " answered after " << rtt << " s (flood: " << flood.sent.load()
                           << " messages so far)");
        CHECK(rtt >= 0);
        CHECK(rtt < kBoundS);
        const auto t = Steady::now();
        auto r = api.get("/api/v1/rooms", token);
        const double api_s = since(t);
        CHECK(r);
        if (r) CHECK(r->status == 200);
        CHECK(api_s < kBoundS);
    }
    // A library change sent by the overview: the room's answer shows on the overview.
    const auto t = Steady::now();
    api.json("PUT", "/api/v1/library/playlists/evening", token,
             R"({"rooms":["room-a"],"content":{"name":"Evening","tracks":[]}})", 202);
    const bool acknowledged = eventually(
        [&] {
            const Json a = room_a();
            return a.is_object() && a["library"]["last_change"].is_object() &&
                   a["library"]["last_change"]["name"] == "evening";
        },
        100);
    const double ack_s = since(t);
    MESSAGE("library change acknowledged on the overview after " << ack_s << " s");
    CHECK(acknowledged);
    CHECK(ack_s < kBoundS + 0.1); // polled every 100 ms
    const std::size_t flooded = flood.sent.load();
    const OverviewInbox::Counts c = service.inbox_counts();
    MESSAGE("the stranger sent " << flooded << " messages; the overview's inbox replaced "
                                 << c.replaced << " stale states, dropped " << c.dropped
                                 << ", refused " << c.refused << ", handled " << c.delivered);
    CHECK(flooded > 2000);
    service.stop();
    room.stop();
}
