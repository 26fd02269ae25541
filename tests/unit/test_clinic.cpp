// The clinic overview: the model (rooms, sessions, alerts from retained status and state
// messages, times moving on between messages), clinic.json, broker lists in room.json, and
// the room's side (status and state again when an overview announces itself, vitals never
// on MQTT but the flag). Expectations are written out by hand from the messages sent.
#include "fake_mqtt.hpp"
#include "test_support.hpp"

#include "clinic/clinic_config.hpp"
#include "clinic/overview.hpp"
#include "control/mqtt_bridge.hpp"
#include "library/library.hpp"
#include "library/room_config.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <thread>
#include <unistd.h>

using namespace stillroom;
using namespace stillroom::test;

namespace {

const DeviceTime t0{Ms{10'000'000}};
DeviceTime at(double seconds) {
    return t0 + Ms{static_cast<Ms::rep>(seconds * 1000)};
}

// A room's state as its bridge publishes it (control/state_json.cpp, without vitals).
Json room_state(const std::string& id, const Json& session, Json devices = Json::array()) {
    return {
        {"room", {{"id", id}, {"name", "Room " + id}}}, {"session", session}, {"devices", devices}};
}

Json running_session(double since_start, Json since_dose, Json reminders = Json::array(),
                     bool flagged = false) {
    return {{"id", "s-1"},
            {"label", "P-07"},
            {"template", "im75"},
            {"template_name", "IM ketamine 75 min"},
            {"status", "running"},
            {"phase", {{"index", 2}, {"id", "onset"}, {"name", "Onset"}, {"count", 6}}},
            {"held", false},
            {"comfort", false},
            {"lights_up", false},
            {"since_start", since_start},
            {"since_dose", since_dose},
            {"reminders", reminders},
            {"vitals_flagged", flagged}};
}

Json find_room(const Json& rooms, const std::string& id) {
    for (const auto& r : rooms)
        if (r["room"] == id) return r;
    return nullptr;
}

std::vector<std::string> kinds(const Json& room) {
    std::vector<std::string> out;
    for (const auto& a : room["alerts"])
        out.push_back(a["kind"].get<std::string>());
    return out;
}

MqttBridgeOptions r1_options() {
    MqttBridgeOptions o;
    o.base_topic = "stillroom/r1";
    o.room_id = "r1";
    o.room_name = "Room 1";
    return o;
}

// A room whose state never changes (the bridge only reads it).
struct FixedRoom final : RoomControl {
    explicit FixedRoom(Json s) : fixed(std::move(s)) {}
    Json fixed;
    Json state() const override { return fixed; }
    Json timeline() const override { return nullptr; }
    Json summary() const override { return nullptr; }
    CommandResult start(const StartRequest&) override { return {}; }
    CommandResult command(const Command&) override { return {}; }
};

} // namespace

TEST_CASE("clinic overview: rooms appear from status and state, sorted, idle or in session") {
    Overview o;
    CHECK(o.on_message("stillroom/b/status", "online", at(0)));
    CHECK(o.on_message("stillroom/b/state", dump_json(room_state("b", nullptr)), at(0)));
    CHECK(o.on_message("stillroom/a/state", dump_json(room_state("a", running_session(600, 120))),
                       at(0)));
    CHECK(find_room(o.rooms(at(0)), "a")["online"] == false); // a retained state outlives its room
    CHECK(o.on_message("stillroom/a/status", "online", at(0)));
    const Json rooms = o.rooms(at(0));
    REQUIRE(rooms.size() == 2);
    CHECK(rooms[0]["room"] == "a"); // sorted by id
    CHECK(rooms[0]["name"] == "Room a");
    CHECK(rooms[0]["online"] == true);
    CHECK(rooms[0]["session"]["phase"]["name"] == "Onset");
    CHECK(rooms[0]["session"]["label"] == "P-07");
    CHECK(rooms[0]["session"]["template"] == "IM ketamine 75 min");
    CHECK(rooms[1]["room"] == "b");
    CHECK(rooms[1]["session"].is_null());
    CHECK(rooms[1]["alerts"].empty());
    // 90 s later with no message: a running session's clocks moved on; nothing else did.
    const Json later = find_room(o.rooms(at(90)), "a");
    CHECK(later["session"]["since_start"].get<double>() == doctest::Approx(690));
    CHECK(later["session"]["since_dose"].get<double>() == doctest::Approx(210));
    CHECK(later["last_seen_s"].get<double>() == doctest::Approx(90));
    // Before the dose since_dose stays null.
    o.on_message("stillroom/a/state", dump_json(room_state("a", running_session(60, nullptr))),
                 at(100));
    CHECK(find_room(o.rooms(at(130)), "a")["session"]["since_dose"].is_null());
}

TEST_CASE("clinic overview: alerts for an overdue reminder, flagged vitals, a device fault, "
          "offline in session") {
    Overview o(OverviewOptions{Ms{5 * 60'000}, 500});
    const Json reminder =
        Json::array({{{"cue", 3}, {"text", "BP check"}, {"vitals", true}, {"at", 2400}}});
    // The reminder fell due at 2400 s; the state says 2460 s since start: 1 min overdue.
    o.on_message("stillroom/r/status", "online", at(0));
    o.on_message("stillroom/r/state",
                 dump_json(room_state("r", running_session(2460, 2000, reminder))), at(0));
    CHECK(find_room(o.rooms(at(0)), "r")["alerts"].empty());
    CHECK(find_room(o.rooms(at(239)), "r")["alerts"].empty()); // 4 min 59 s overdue
    Json r = find_room(o.rooms(at(240)), "r");                 // 5 min overdue
    REQUIRE(kinds(r) == std::vector<std::string>{"reminder_overdue"});
    CHECK(r["alerts"][0]["text"] == "reminder overdue 5 min: BP check");
    CHECK(r["alerts"][0]["overdue_s"].get<double>() == doctest::Approx(300));
    // Acknowledged: the next state has no reminder, and the alert is gone.
    o.on_message("stillroom/r/state", dump_json(room_state("r", running_session(2700, 2240))),
                 at(240));
    CHECK(find_room(o.rooms(at(241)), "r")["alerts"].empty());

    // A flagged reading and a failed light.
    const Json devices =
        Json::array({{{"id", "lights"}, {"ok", false}, {"detail", "1 of 2 lights ok"}},
                     {{"id", "audio"}, {"ok", true}, {"detail", "playing"}}});
    o.on_message(
        "stillroom/r/state",
        dump_json(room_state("r", running_session(2800, 2340, Json::array(), true), devices)),
        at(300));
    r = find_room(o.rooms(at(300)), "r");
    CHECK(kinds(r) == std::vector<std::string>{"vitals_flagged", "device_fault"});
    CHECK(r["alerts"][1]["text"] == "lights: 1 of 2 lights ok");
    CHECK(r["alerts"][1]["device"] == "lights");

    // The room's will: offline during a session is an alert of its own; its last state stays.
    CHECK(o.on_message("stillroom/r/status", "offline", at(310)));
    r = find_room(o.rooms(at(310)), "r");
    CHECK(r["online"] == false);
    CHECK(kinds(r) ==
          std::vector<std::string>{"vitals_flagged", "device_fault", "offline_in_session"});
    CHECK(o.alert_count(at(310)) == 3);

    // Finished sessions raise no session alerts, online or not.
    Json finished = running_session(4800, 4340, reminder, true);
    finished["status"] = "finished";
    o.on_message("stillroom/r/state", dump_json(room_state("r", finished)), at(400));
    o.on_message("stillroom/r/status", "offline", at(401));
    CHECK(kinds(find_room(o.rooms(at(2000)), "r")).empty());
}

TEST_CASE(
    "clinic overview: what is not a room's status or state is ignored, and the table is bounded") {
    Overview o(OverviewOptions{Ms{60'000}, 3});
    CHECK_FALSE(o.on_message("stillroom/x/state", "not json", at(0)));
    CHECK_FALSE(o.on_message("stillroom/x/state", "[1,2]", at(0)));
    CHECK_FALSE(
        o.on_message("stillroom/x/state", R"({"room":"x"})", at(0))); // room must be an object
    CHECK_FALSE(o.on_message("stillroom/x/status", "maybe", at(0)));
    CHECK_FALSE(o.on_message("stillroom/x/result", "{}", at(0)));
    CHECK_FALSE(o.on_message("status", "online", at(0)));
    CHECK(o.ignored() == 4);
    // A room seen only by its status is named after its topic.
    CHECK(o.on_message("stillroom/x/status", "online", at(0)));
    CHECK(find_room(o.rooms(at(0)), "x")["name"] == "x");
    // Its retained status cleared (the room was taken out): gone.
    CHECK(o.on_message("stillroom/x/status", "", at(1)));
    CHECK(o.rooms(at(1)).empty());
    // At most max_rooms rooms: a flood of made-up topics cannot grow the table.
    for (int i = 0; i < 10; ++i)
        o.on_message("stillroom/f" + std::to_string(i) + "/status", "online", at(2));
    CHECK(o.rooms(at(2)).size() == 3);
    CHECK(o.ignored() == 4 + 7);
}

TEST_CASE("clinic.json: settings, and every problem named by its path") {
    Problems ok;
    auto c = load_clinic_config(Json::parse(R"({"clinic":"north","name":"North clinic",
        "mqtt":{"url":["mqtt://127.0.0.1:1883","mqtt://127.0.0.2:1884"]},
        "rooms_topic":"site/+","alerts":{"reminder_overdue_minutes":2},
        "control":{"listen":"127.0.0.1:8090","users":[{"name":"desk","role":"clinic","pin_hash":"x"}]}})"),
                                ok);
    REQUIRE(c);
    CHECK(ok.empty());
    CHECK(c->clinic == "north");
    CHECK(c->mqtt.client_id == "stillroom-clinic-north");
    REQUIRE(c->mqtt.brokers.size() == 2);
    CHECK(c->mqtt.brokers[1].host == "127.0.0.2");
    CHECK(c->mqtt.brokers[1].port == 1884);
    CHECK(c->rooms_topic == "site/+");
    CHECK(c->reminder_overdue == Ms{120'000});
    CHECK(c->control.port == 8090);
    CHECK(c->control.users.size() == 1);

    Problems bad;
    CHECK_FALSE(load_clinic_config(Json::parse(R"({"name":"x","mqtt":{"url":"mqtt://h:1"},
        "rooms_topic":"stillroom/#","alerts":{"reminder_overdue_minutes":-1},"control":{},"colour":"red"})"),
                                   bad));
    const std::string text = bad.to_string();
    CAPTURE(text);
    CHECK(text.find("clinic") != std::string::npos);
    CHECK(text.find("rooms_topic") != std::string::npos);
    CHECK(text.find("alerts.reminder_overdue_minutes") != std::string::npos);
    CHECK(text.find("colour") != std::string::npos);
}

TEST_CASE("room.json: mqtt.url as a list of the brokers of a cluster") {
    auto room_with = [](const Json& url, Problems& p) {
        return load_room_config({{"room", "r1"}, {"mqtt", {{"url", url}}}}, p);
    };
    Problems p;
    auto room = room_with(Json::array({"mqtt://10.0.0.1", "mqtt://[::1]:1884"}), p);
    REQUIRE(room);
    REQUIRE(room->mqtt->brokers.size() == 2);
    CHECK(room->mqtt->host == "10.0.0.1");
    CHECK(room->mqtt->port == 1883); // the scheme's default
    CHECK(room->mqtt->brokers[1].host == "::1");
    CHECK(room->mqtt->brokers[1].port == 1884);
    std::string error;
    const MqttOptions mo = mqtt_options_from(*room->mqtt, "/lib", &error);
    CHECK(mo.host == "10.0.0.1");
    REQUIRE(mo.fallbacks.size() == 1);
    CHECK(mo.fallbacks[0] == std::pair<std::string, int>{"::1", 1884});

    Problems one;
    room = room_with("mqtt://b:1", one);
    REQUIRE(room);
    CHECK(room->mqtt->brokers.size() == 1);

    Problems mixed;
    CHECK_FALSE(room_with(Json::array({"mqtt://a", "mqtts://b"}), mixed));
    CHECK(mixed.to_string().find("mqtt.url[1]: every broker of a cluster uses the same scheme") !=
          std::string::npos);
    Problems empty;
    CHECK_FALSE(room_with(Json::array(), empty));
    CHECK(empty.to_string().find("mqtt.url") != std::string::npos);
    Problems wrong;
    CHECK_FALSE(room_with(Json::array({"mqtt://a", 7}), wrong));
    CHECK(wrong.to_string().find("mqtt.url[1]") != std::string::npos);
}

TEST_CASE("the room tells a clinic overview everything when it announces itself, and at a slow "
          "interval") {
    Json state = room_state("r1", running_session(100, 10));
    state["session"]["vitals"] = Json::array({{{"systolic", 171}}});
    state["session"]["vitals_flagged"] = true;
    FixedRoom room(state);
    FakeMqtt mqtt;
    MqttBridgeOptions options = r1_options();
    options.republish_every = std::chrono::milliseconds(300);
    SteadyDeviceClock clock; // republish_every is real time here
    MqttBridge bridge(options, mqtt, room, clock);
    CHECK(std::find(mqtt.subscriptions.begin(), mqtt.subscriptions.end(),
                    "stillroom-clinic/+/status") != mqtt.subscriptions.end());
    bridge.start();
    mqtt.connect();
    REQUIRE(soon([&] { return mqtt.count() >= 2; }));
    mqtt.take();
    const auto before = bridge.republished();
    mqtt.deliver("stillroom-clinic/north/status",
                 "offline"); // an overview leaving asks for nothing
    mqtt.deliver("stillroom-clinic/north/status", "online");
    REQUIRE(soon([&] { return bridge.republished() > before; }));
    const auto sent = mqtt.take();
    REQUIRE(sent.size() >= 2);
    CHECK(sent[0].topic == "stillroom/r1/status");
    CHECK(sent[0].payload == "online");
    CHECK(sent[1].topic == "stillroom/r1/state");
    CHECK(sent[1].retain);
    const Json published = Json::parse(sent[1].payload);
    CHECK_FALSE(published["session"].contains("vitals"));  // the readings stay on the tablet
    CHECK(published["session"]["vitals_flagged"] == true); // the overview's alert
    // With nothing else happening, the slow interval sends them again.
    const auto after = bridge.republished();
    REQUIRE(soon([&] { return bridge.republished() >= after + 2; }));
    bridge.stop();
}

TEST_CASE("library changes from the clinic: off unless the room allows them, answered on result") {
    FixedRoom room(room_state("r1", nullptr));
    FakeMqtt mqtt;
    ManualDeviceClock device_clock;
    MqttBridge bridge(r1_options(), mqtt, room, device_clock);
    std::vector<std::string> saved;
    auto results = [&](std::size_t n) {
        std::vector<Json> out;
        REQUIRE(soon([&] {
            for (const auto& m : mqtt.take())
                if (m.topic == "stillroom/r1/result") out.push_back(Json::parse(m.payload));
            return out.size() >= n;
        }));
        return out;
    };
    SUBCASE("off: refused, nothing saved") {
        bridge.start();
        mqtt.connect();
        mqtt.deliver("stillroom/r1/cmd/library",
                     R"({"kind":"playlists","name":"p","content":{"tracks":[]}})");
        const auto r = results(1);
        CHECK(r[0]["ok"] == false);
        CHECK(r[0]["action"] == "library");
        CHECK(r[0]["error"].get<std::string>().find("mqtt.library_commands") != std::string::npos);
    }
    SUBCASE("on: saved through the room's own validation, malformed requests refused") {
        bridge.set_library_put(
            [&](const std::string& kind, const std::string& name, const Json& content) {
                saved.push_back(kind + "/" + name + " " + content.dump());
                return name == "bad" ? CommandResult{false, 400, "tracks: expected an array", {}}
                                     : CommandResult{true, 200, "", {}};
            });
        bridge.start();
        mqtt.connect();
        mqtt.deliver("stillroom/r1/cmd/library",
                     R"({"kind":"playlists","name":"p","content":{"tracks":[]}})");
        mqtt.deliver("stillroom/r1/cmd/library",
                     R"({"kind":"playlists","name":"bad","content":{"tracks":"x"}})");
        mqtt.deliver("stillroom/r1/cmd/library", R"({"kind":"playlists","name":"p"})");
        const auto r = results(3);
        CHECK(saved == std::vector<std::string>{R"(playlists/p {"tracks":[]})",
                                                R"(playlists/bad {"tracks":"x"})"});
        CHECK(r[0]["ok"] == true);
        CHECK(r[0]["kind"] == "playlists");
        CHECK(r[0]["name"] == "p");
        CHECK(r[1]["ok"] == false);
        CHECK(r[1]["error"] == "tracks: expected an array");
        CHECK(r[2]["ok"] == false);
        CHECK(r[2]["error"].get<std::string>().find("content") != std::string::npos);

        // The overview keeps each room's last answer beside its library version.
        Overview o;
        Json st = room_state("r1", nullptr);
        st["library"] = {{"version", "0123456789abcdef"}};
        o.on_message("stillroom/r1/status", "online", at(0));
        o.on_message("stillroom/r1/state", dump_json(st), at(0));
        CHECK(o.on_message("stillroom/r1/result", dump_json(r[1]), at(1)));
        CHECK_FALSE(
            o.on_message("stillroom/r1/result", R"({"action":"comfort","ok":true})", at(1)));
        CHECK_FALSE(
            o.on_message("stillroom/zz/result", dump_json(r[0]), at(1))); // a room never seen
        const Json lib = find_room(o.rooms(at(2)), "r1")["library"];
        CHECK(lib["version"] == "0123456789abcdef");
        CHECK(lib["last_change"] == Json{{"ok", false},
                                         {"kind", "playlists"},
                                         {"name", "bad"},
                                         {"error", "tracks: expected an array"}});
    }
    bridge.stop();
}

TEST_CASE("library version: the same files give the same version; any change gives another") {
    namespace fs = std::filesystem;
    const fs::path a =
        fs::temp_directory_path() / ("stillroom-libver-a-" + std::to_string(::getpid()));
    const fs::path b =
        fs::temp_directory_path() / ("stillroom-libver-b-" + std::to_string(::getpid()));
    for (const auto& d : {a, b}) {
        fs::remove_all(d);
        fs::create_directories(d / "playlists");
        fs::create_directories(d / "scenes");
        std::ofstream(d / "playlists/p.json") << R"({"tracks":[]})";
        std::ofstream(d / "scenes/s.json") << R"({"lights":{}})";
    }
    std::ofstream(b / "room.json") << R"({"room":"other"})"; // not part of the version
    const std::string va = library_version(a);
    CHECK(va.size() == 16);
    CHECK(va == library_version(b));
    std::ofstream(b / "playlists/p.json") << R"({"tracks":[ ]})";
    CHECK(library_version(b) != va);
    std::ofstream(b / "playlists/p.json") << R"({"tracks":[]})";
    CHECK(library_version(b) == va);
    fs::rename(b / "scenes/s.json", b / "scenes/t.json"); // a renamed file is a change
    CHECK(library_version(b) != va);
    fs::remove_all(a);
    fs::remove_all(b);
}

TEST_CASE("clinic overview: the broker stops: rooms as last seen, no room alert; library faults") {
    OverviewOptions options;
    options.broker_grace = Ms{30'000};
    Overview o(options);
    o.on_message("stillroom/r/status", "online", at(0));
    o.on_message("stillroom/r/state", dump_json(room_state("r", running_session(600, 300))), at(0));
    struct Row {
        const char* name;
        bool connected;
        double at_s;
        bool alert;
    };
    // The broker goes away at 10 s (its wills may arrive as it goes: "offline"), comes back
    // at 100 s; the room has until 130 s to say "online" again.
    const std::vector<Row> rows = {{"broker down", false, 10, false},
                                   {"still down", false, 90, false},
                                   {"back, rooms reconnecting", true, 100, false},
                                   {"29 s later", true, 129, false},
                                   {"30 s later, still offline", true, 130, true}};
    o.on_message("stillroom/r/status", "offline", at(10));
    for (const auto& row : rows) {
        CAPTURE(row.name);
        o.set_broker_connected(row.connected, at(row.at_s));
        const Json r = find_room(o.rooms(at(row.at_s)), "r");
        CHECK(r["online"] == false);
        CHECK(r["session"].is_object()); // as last seen
        CHECK((kinds(r) == std::vector<std::string>{"offline_in_session"}) == row.alert);
        CHECK(kinds(r).size() == (row.alert ? 1u : 0u));
    }
    // A room back within the grace raises nothing.
    o.set_broker_connected(false, at(200));
    o.set_broker_connected(true, at(210));
    o.on_message("stillroom/r/status", "online", at(215));
    CHECK(kinds(find_room(o.rooms(at(400)), "r")).empty());

    // A library fault in the room's state: the overview lists it and raises a library alert.
    Json st = room_state("r", running_session(900, 600));
    st["library"] = {{"in_force", "last-good"},
                     {"version", "0123456789abcdef"},
                     {"problems", Json::array({{{"text", "sessions/a.json: phases[1].playlist: "
                                                         "it does not loop"}}})}};
    o.on_message("stillroom/r/state", dump_json(st), at(400));
    const Json r = find_room(o.rooms(at(400)), "r");
    CHECK(r["library"]["in_force"] == "last-good");
    CHECK(r["library"]["problems"].size() == 1);
    REQUIRE(kinds(r) == std::vector<std::string>{"library"});
    CHECK(r["alerts"][0]["text"] == "1 library error: the room runs its last good library");

    // An audio layer that broke mid-piece: listed with the library, and its own alert, which
    // clears when the room's state no longer has it. Junk in the list is dropped, and a
    // forged list of thousands is cut to 20.
    st["library"] = {
        {"in_force", "disk"},
        {"version", "0123456789abcdef"},
        {"problems", Json::array()},
        {"layer_faults", Json::array({{{"file", "audio/cath-5.flac"},
                                       {"piece", "audio/cath-0.flac"},
                                       {"error", "truncated: 44100 of 13230000 frames"}},
                                      "junk",
                                      {{"file", 7}}})}};
    o.on_message("stillroom/r/state", dump_json(st), at(410));
    const Json faulted = find_room(o.rooms(at(410)), "r");
    REQUIRE(kinds(faulted) == std::vector<std::string>{"layer_fault"});
    CHECK(faulted["alerts"][0]["text"] ==
          "2 audio layers failed (audio/cath-5.flac): the piece plays on without it");
    REQUIRE(faulted["library"]["layer_faults"].size() == 2);
    CHECK(faulted["library"]["layer_faults"][0]["piece"] == "audio/cath-0.flac");
    CHECK(faulted["library"]["layer_faults"][1]["file"] == "");
    Json many = Json::array();
    for (int i = 0; i < 5000; ++i)
        many.push_back({{"file", "audio/x" + std::to_string(i) + ".flac"}});
    st["library"]["layer_faults"] = many;
    o.on_message("stillroom/r/state", dump_json(st), at(420));
    CHECK(find_room(o.rooms(at(420)), "r")["library"]["layer_faults"].size() == 20);
    st["library"]["layer_faults"] = Json::array(); // a new library: the fault is gone
    o.on_message("stillroom/r/state", dump_json(st), at(430));
    CHECK(kinds(find_room(o.rooms(at(430)), "r")).empty());
}
