// Issue 19 on the real room over its HTTP API: no save can silence a later session (a save
// that adds an error is refused; start-up on broken files runs the last good library and
// says so; library faults are not device faults), the end fade yields to Lights up, Comfort
// and Volume, and the event stream's clocks are fresh (first event, a state every 5 s).
#include "../unit/temp_dir.hpp"
#include "api_client.hpp"
#include "helpers.hpp"
#include "process.hpp"
#include "services.hpp"
#include "sine_wav.hpp"

#include "library/library_files.hpp"
#include "library/library_last_good.hpp"
#include "playlists/sndfile.hpp"

#include <httplib.h>

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

// A 35-minute phase served by a three-second playlist that loops: unticking Loop would
// leave the peak silent for almost all of it.
const char* kLoopingPeak = R"({"name":"Peak","loop":true,"tracks":[{"file":"audio/a.wav"}]})";
const char* kSilentPeak = R"({"name":"Peak","loop":false,"tracks":[{"file":"audio/a.wav"}]})";

struct LibraryRoom {
    TempDir dir;
    fs::path lib_dir = dir.path / "lib";
    fs::path state_dir = dir.path / "state";
    int port = free_loopback_port();
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    std::unique_ptr<RoomServices> services;

    LibraryRoom() {
        write_text(
            lib_dir / "room.json",
            Json{{"room", "in-force"},
                 {"name", "Room 1"},
                 {"lights", Json::array({{{"id", "lamp"}, {"dialect", "simulated"}}})},
                 {"control",
                  {{"listen", "127.0.0.1:" + std::to_string(port)}, {"users", three_users()}}}}
                .dump(2));
        write_text(lib_dir / "scenes/calm.json",
                   R"({"lights":{"*":{"on":true,"brightness":0.2}}})");
        write_text(lib_dir / "scenes/bright.json",
                   R"({"lights":{"*":{"on":true,"brightness":1}}})");
        write_sine_wav(lib_dir / "audio/a.wav", 3);
        write_text(lib_dir / "playlists/peak.json", kLoopingPeak);
        write_text(lib_dir / "sessions/t35.json", R"({"name":"T35",
          "phases":[{"id":"peak","duration":"35m","playlist":"peak","scene":"calm"}],
          "comfort":{"scene":"calm","volume_offset_db":-6},
          "lights_up":{"scene":"bright","fade":"1s","volume_offset_db":-20},
          "end":{"fade":"2m"}})");
    }
    // Starts the room as `stillroom run` does: the disk's library, or the last good one.
    Json start_room() {
        Problems problems;
        Library disk = load_library(lib_dir, problems);
        check_library(disk, problems);
        StartLibrary chosen = choose_start_library(std::move(disk), problems, lib_dir, state_dir);
        RoomServicesOptions options = test_room_options(state_dir);
        options.library_in_force = chosen.in_force;
        options.library_problems = library_errors_json(problems);
        options.library_has_errors = chosen.has_errors;
        services =
            std::make_unique<RoomServices>(std::move(chosen.library), options, clock, device_clock);
        services->start();
        REQUIRE(services->http());
        ApiClient api(port);
        return api.json("GET", "/api/v1/state", api.login("1357"), "", 200);
    }
    ~LibraryRoom() {
        if (services) services->stop();
    }
};

// Reads the event stream until a state satisfies `want` (at most 30 s); that state, or the
// last one seen.
template <class Want> Json wait_for_state(int port, const std::string& token, Want want) {
    httplib::Client sse("127.0.0.1", port);
    sse.set_read_timeout(20, 0);
    std::string buf;
    Json last;
    const auto opened = std::chrono::steady_clock::now();
    sse.Get("/api/v1/events", {{"Authorization", "Bearer " + token}},
            [&](const char* data, std::size_t n) {
                buf.append(data, n);
                std::size_t at;
                while ((at = buf.find("\n\n")) != std::string::npos) {
                    const std::string block = buf.substr(0, at);
                    buf.erase(0, at + 2);
                    const auto d = block.find("data: ");
                    if (block.rfind("event: state", 0) != 0 || d == std::string::npos) continue;
                    last = Json::parse(block.substr(d + 6), nullptr, false);
                    if (last.is_object() && want(last)) return false;
                }
                return std::chrono::steady_clock::now() - opened < std::chrono::seconds(30);
            });
    return last;
}

bool mentions(const Json& problems, const std::string& what) {
    return problems.dump().find(what) != std::string::npos;
}

} // namespace

TEST_CASE("library in force: a save that would add an error is refused, warnings still save") {
    LibraryRoom room;
    room.start_room();
    ApiClient api(room.port);
    const std::string curator = api.login("8642");
    const std::string before = read_text(room.lib_dir / "playlists/peak.json");

    // Loop off: the playlist itself is valid, the library would not be (the 35-minute peak
    // falls silent after 3 s). Every problem comes back; nothing is written.
    const Json refused = api.json("PUT", "/api/v1/playlists/peak", curator, kSilentPeak, 400);
    CAPTURE(refused.dump());
    CHECK(mentions(refused["problems"], "sessions/t35.json"));
    CHECK(mentions(refused["problems"], "fall silent"));
    CHECK(read_text(room.lib_dir / "playlists/peak.json") == before);

    // A change that keeps the library free of errors saves (the playlist still repeats to
    // fill the phase: a warning, not an error).
    const Json saved =
        api.json("PUT", "/api/v1/playlists/peak", curator,
                 R"({"name":"Peak again","loop":true,"tracks":[{"file":"audio/a.wav"}]})", 200);
    CHECK(saved["ok"] == true);
    CHECK(saved["warnings"].is_array());
    CHECK(read_text(room.lib_dir / "playlists/peak.json") != before);
}

TEST_CASE("library in force: start-up on broken files runs the last good library and says so") {
    LibraryRoom room;
    SUBCASE("a clean start keeps a copy; broken files later run that copy") {
        {
            const Json st = room.start_room();
            CHECK(st["library"]["in_force"] == "disk");
            CHECK(st["library"]["problems"] == Json::array());
            room.services->stop();
            room.services.reset();
        }
        REQUIRE(fs::exists(last_good_path(room.state_dir)));
        const Json kept = Json::parse(read_text(last_good_path(room.state_dir)));
        // The curator's save was refused, but a hand edit (or a copy) can still break a file.
        write_text(room.lib_dir / "playlists/peak.json", kSilentPeak);
        const Json st = room.start_room();
        CAPTURE(st["library"].dump());
        CHECK(st["library"]["in_force"] == "last-good");
        CHECK(st["library"]["version"] == kept["version"]);
        CHECK(mentions(st["library"]["problems"], "fall silent"));
        for (const auto& d : st["devices"])
            CHECK(d["id"] != "library"); // a library fault is not a device fault
        ApiClient api(room.port);
        const std::string therapist = api.login("1357");
        // The session runs on the copy: the peak's playlist loops.
        api.json("POST", "/api/v1/session/start", therapist, R"({"template":"t35","label":"R1"})",
                 200);
        const Json after = api.json("GET", "/api/v1/state", therapist, "", 200);
        CHECK(after["session"]["now_playing"]["playlist"] == "peak");
    }
    SUBCASE("no good copy: the room says so and no session starts") {
        write_text(room.lib_dir / "playlists/peak.json", kSilentPeak);
        const Json st = room.start_room();
        CHECK(st["library"]["in_force"] == "disk");
        CHECK(mentions(st["library"]["problems"], "fall silent"));
        ApiClient api(room.port);
        const Json r = api.json("POST", "/api/v1/session/start", api.login("1357"),
                                R"({"template":"t35"})", 409);
        CHECK(r.dump().find("library has errors") != std::string::npos);
    }
}

TEST_CASE("library in force: a broken change on disk is listed in state.library, not as a device") {
    LibraryRoom room;
    room.start_room();
    ApiClient api(room.port);
    const std::string therapist = api.login("1357");
    api.json("POST", "/api/v1/session/start", therapist, R"({"template":"t35"})", 200);
    write_text(room.lib_dir / "playlists/peak.json", kSilentPeak);
    // The watcher looks every 2 s and the room pushes the new state: wait for it.
    const Json st = wait_for_state(room.port, therapist, [](const Json& s) {
        return s["library"]["in_force"] == "last-good";
    });
    CAPTURE(st["library"].dump());
    CHECK(st["library"]["in_force"] == "last-good");
    CHECK(mentions(st["library"]["problems"], "fall silent"));
    for (const auto& d : st["devices"]) {
        CHECK(d["id"] != "library");
        CHECK(d.value("ok", true)); // nothing else is at fault
    }
    // Nor in the session's record: the journal names no library device.
    api.json("POST", "/api/v1/session/vitals", therapist, R"({"hr":70})", 200); // one more record
    int journals = 0;
    for (const auto& e : fs::directory_iterator(room.state_dir / "sessions")) {
        if (e.path().extension() != ".jsonl") continue;
        ++journals;
        const std::string text = read_text(e.path());
        CHECK(text.find("\"hr\":70") != std::string::npos);
        CHECK(text.find("\"device\":\"library\"") == std::string::npos);
    }
    CHECK(journals == 1);
}

TEST_CASE("the end fade yields to Lights up, Comfort and Volume until the room is idle") {
    LibraryRoom room;
    room.start_room();
    ApiClient api(room.port);
    const std::string therapist = api.login("1357");
    api.json("POST", "/api/v1/session/start", therapist, R"({"template":"t35"})", 200);
    const Json ended = api.json("POST", "/api/v1/session/end", therapist, "{}", 200);
    REQUIRE(ended["state"]["session"]["status"] == "ending");
    const double before = ended["state"]["session"]["volume"]["effective_db"].get<double>();
    const Json lights =
        api.json("POST", "/api/v1/session/lights-up", therapist, R"({"on":true})", 200);
    CHECK(lights["state"]["session"]["lights_up"] == true);
    CHECK(lights["state"]["session"]["scene"] == "bright");
    const Json vol = api.json("POST", "/api/v1/audio/volume", therapist, R"({"step_db":-3})", 200);
    CHECK(vol["state"]["session"]["volume"]["trim_db"] == -3);
    CHECK(vol["state"]["session"]["volume"]["effective_db"].get<double>() < before);
    const Json off =
        api.json("POST", "/api/v1/session/lights-up", therapist, R"({"on":false})", 200);
    const Json comfort =
        api.json("POST", "/api/v1/session/comfort", therapist, R"({"on":true})", 200);
    CHECK(comfort["state"]["session"]["comfort"] == true);
    CHECK(comfort["state"]["session"]["status"] == "ending");
}

TEST_CASE("the event stream: the first event is a fresh state; a state at least every 5 s") {
    LibraryRoom room;
    room.start_room();
    ApiClient api(room.port);
    const std::string therapist = api.login("1357");
    api.json("POST", "/api/v1/session/start", therapist, R"({"template":"t35"})", 200);
    using steady = std::chrono::steady_clock;
    // Three connections a little apart: each first state is as fresh as a GET made just
    // before it (the last published state may be up to 5 s old).
    std::vector<double> gaps;
    for (int round = 0; round < 3; ++round) {
        const Json now = api.json("GET", "/api/v1/state", therapist, "", 200);
        const double since_start = now["session"]["since_start"].get<double>();
        httplib::Client sse("127.0.0.1", room.port);
        sse.set_read_timeout(20, 0);
        std::string buf;
        std::vector<std::pair<steady::time_point, double>> states;
        const auto opened = steady::now();
        const int want = round == 0 ? 4 : 1; // the first round also times the pushes
        sse.Get("/api/v1/events", {{"Authorization", "Bearer " + therapist}},
                [&](const char* data, std::size_t n) {
                    buf.append(data, n);
                    std::size_t at;
                    while ((at = buf.find("\n\n")) != std::string::npos) {
                        const std::string block = buf.substr(0, at);
                        buf.erase(0, at + 2);
                        const auto d = block.find("data: ");
                        if (block.rfind("event: state", 0) == 0 && d != std::string::npos) {
                            const Json st = Json::parse(block.substr(d + 6), nullptr, false);
                            if (st.is_object() && st["session"].is_object())
                                states.emplace_back(steady::now(),
                                                    st["session"]["since_start"].get<double>());
                        }
                    }
                    return static_cast<int>(states.size()) < want &&
                           steady::now() - opened < std::chrono::seconds(30);
                });
        REQUIRE(states.size() >= 1);
        CAPTURE(round);
        CHECK(states[0].second >= since_start);
        CHECK(states[0].second - since_start < 1.0);
        for (std::size_t i = 1; i < states.size(); ++i)
            gaps.push_back(
                std::chrono::duration<double>(states[i].first - states[i - 1].first).count());
    }
    REQUIRE(gaps.size() == 3);
    for (double g : gaps) {
        CAPTURE(g);
        CHECK(g <= 5.5); // nothing happens in the session: only the periodic state
    }
}
