// The tablet's API contract (issue 9) on a loopback port with the real room: Next refused
// in the last phase, the volume model, device tests refused in session, PIN rules, labels,
// vitals, the booster, timeline and summary, the curator's audio files, room settings.
// NOT YET IN tests/CMakeLists.txt: it compiles (checked with -fsyntax-only) but has not
// been run yet; add `integration/test_tablet_api.cpp` to integration_tests and run it.
#include "../unit/temp_dir.hpp"
#include "api_client.hpp"
#include "helpers.hpp"
#include "process.hpp"
#include "services.hpp"
#include "sine_wav.hpp"

#include "control/api_audio.hpp"
#include "playlists/sndfile.hpp"

#include <httplib.h>

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

using Api = ApiClient;

struct TabletRoom {
    TempDir dir;
    fs::path lib_dir = dir.path / "lib";
    int port = free_loopback_port();
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    std::unique_ptr<RoomServices> services;

    TabletRoom() {
        write_text(
            lib_dir / "room.json",
            Json{{"room", "tablet-api"},
                 {"name", "Room 1"},
                 {"lights", Json::array({{{"id", "lamp"}, {"dialect", "simulated"}}})},
                 {"control",
                  {{"listen", "127.0.0.1:" + std::to_string(port)}, {"users", three_users()}}}}
                .dump(2));
        write_text(lib_dir / "scenes/calm.json",
                   R"({"lights":{"*":{"on":true,"brightness":0.2}}})");
        write_text(lib_dir / "scenes/deep.json",
                   R"({"lights":{"*":{"on":true,"brightness":0.05,"kelvin":2200}}})");
        write_sine_wav(lib_dir / "audio/a.wav", 3);
        write_text(lib_dir / "playlists/p.json",
                   R"({"name":"P","loop":true,"tracks":[{"file":"audio/a.wav"}]})");
        // Three phases, the last ends by the therapist; a booster; alert thresholds.
        write_text(lib_dir / "sessions/s.json", R"({"name":"S",
          "phases":[{"id":"settle","until":"dose","duration":"10m","playlist":"p","scene":"calm","volume_db":-20},
                    {"id":"peak","duration":"30m","scene":"deep","fade":"5s"},
                    {"id":"return","until":"therapist","duration":"20m","volume_db":-24}],
          "cues":[{"at":"dose+15m","remind":"Check blood pressure","vitals":true}],
          "booster":{"extend":"peak","by":"10m"},
          "vitals":{"alert":{"systolic_max":150}},
          "end":{"fade":"1s"}})");
        write_text(lib_dir / "sessions/plain.json", R"({"name":"Plain",
          "phases":[{"id":"only","duration":"1h","playlist":"p","scene":"calm"}],"end":{"fade":"1s"}})");
        Problems problems;
        Library lib = load_library(lib_dir, problems);
        INFO(problems.to_string());
        services = std::make_unique<RoomServices>(
            std::move(lib), test_room_options(dir.path / "state"), clock, device_clock);
        services->start();
        REQUIRE(services->http());
    }
    ~TabletRoom() { services->stop(); }
};

double phase_start(const Json& timeline, const std::string& id) {
    for (const auto& p : timeline["phases"])
        if (p["id"] == id) return p["start"].is_number() ? p["start"].get<double>() : -1;
    return -1;
}

} // namespace

TEST_CASE("tablet API: session contract") {
    TabletRoom room;
    Api api(room.port);
    const std::string therapist = api.login("1357");
    const std::string clinic = api.login("2468");

    SUBCASE("labels: a short code or 400 with the rule") {
        for (const char* label : {"Jane Doe", "MRN 12345678", "ABCDEFGHIJKLM", "a_b", "Jane-Doe"}) {
            CAPTURE(label);
            const Json r = api.json("POST", "/api/v1/session/start", therapist,
                                    Json{{"template", "s"}, {"label", label}}.dump(), 400);
            CHECK(r.dump().find("at most 12 letters, digits and dashes") != std::string::npos);
        }
        api.json("POST", "/api/v1/session/start", therapist, R"({"template":"s","label":"R1-AM"})",
                 200);
    }

    SUBCASE("Next in the last phase: 409 with the reason; End ends") {
        api.json("POST", "/api/v1/session/start", therapist, R"({"template":"s"})", 200);
        api.json("POST", "/api/v1/session/dose", therapist, "{}", 200);
        const Json st = api.json("POST", "/api/v1/session/next", therapist, "{}", 200)["state"];
        CHECK(st["session"]["phase"]["id"] == "return");
        CHECK(st["session"]["last_phase"] == true);
        const Json refused = api.json("POST", "/api/v1/session/next", therapist, "{}", 409);
        CHECK(refused["error"] ==
              "this is the last phase: Next never ends a session; hold End to end it");
        CHECK(refused["state"]["session"]["status"] == "running");
        const Json ended = api.json("POST", "/api/v1/session/end", therapist, "{}", 200);
        CHECK(ended["state"]["session"]["status"] == "ending");
    }

    SUBCASE(
        "volume: step and trim; + raises the level in comfort and lights up; trim survives Next") {
        api.json("POST", "/api/v1/session/start", therapist, R"({"template":"s"})", 200);
        Json v = api.json("POST", "/api/v1/audio/volume", therapist, R"({"trim_db":-6})",
                          200)["state"]["session"]["volume"];
        CHECK(v["trim_db"] == -6.0);
        CHECK(v["arc_db"] == -20.0);
        CHECK(v["target_db"] == -26.0);
        CHECK(v["ceiling_db"].is_number());
        CHECK(v["effective_db"].is_number());
        for (const char* overlay : {"comfort", "lights-up"}) {
            CAPTURE(overlay);
            api.json("POST", std::string("/api/v1/session/") + overlay, therapist, "{}", 200);
            const double before = api.json("GET", "/api/v1/state", therapist, "",
                                           200)["session"]["volume"]["target_db"];
            v = api.json("POST", "/api/v1/audio/volume", therapist, R"({"step_db":2})",
                         200)["state"]["session"]["volume"];
            CHECK(v["target_db"].get<double>() == doctest::Approx(before + 2));
            CHECK(v["overlay_db"].get<double>() < 0);
            api.json("POST", std::string("/api/v1/session/") + overlay, therapist,
                     R"({"on":false})", 200);
        }
        v = api.json("GET", "/api/v1/state", therapist, "", 200)["session"]["volume"];
        CHECK(v["trim_db"] == -2.0);
        CHECK(v["target_db"] == -22.0);
        api.json("POST", "/api/v1/session/dose", therapist, "{}", 200);
        api.json("POST", "/api/v1/session/next", therapist, "{}", 200); // return: arc -24
        v = api.json("GET", "/api/v1/state", therapist, "", 200)["session"]["volume"];
        CHECK(v["trim_db"] == -2.0);
        CHECK(v["target_db"] == -26.0);
        // Bad forms are 400s naming what is expected.
        api.json("POST", "/api/v1/audio/volume", therapist, R"({"step_db":2,"trim_db":1})", 400);
        api.json("POST", "/api/v1/audio/volume", therapist, R"({"step_db":"up"})", 400);
    }

    SUBCASE("device tests: refused while a session runs, allowed after") {
        api.json("POST", "/api/v1/session/start", therapist, R"({"template":"plain"})", 200);
        const Json light = api.json("POST", "/api/v1/devices/lights/lamp/test", clinic, "{}", 409);
        CHECK(light["error"].get<std::string>().find("a session is running") != std::string::npos);
        const Json tone = api.json("POST", "/api/v1/devices/audio/test", clinic, "{}", 409);
        CHECK(tone["error"].get<std::string>().find("a session is running") != std::string::npos);
        api.json("POST", "/api/v1/session/end", therapist, "{}", 200);
        CHECK(eventually(
            [&] {
                return api.json("GET", "/api/v1/state", therapist, "", 200)["session"]["status"] ==
                       "finished";
            },
            50));
        api.json("POST", "/api/v1/devices/lights/lamp/test", clinic, "{}", 200);
    }

    SUBCASE("vitals: impossible values 400 naming the field; alerts flagged and listed") {
        api.json("POST", "/api/v1/session/start", therapist, R"({"template":"s"})", 200);
        api.json("POST", "/api/v1/session/dose", therapist, "{}", 200);
        for (const auto& [body, field] : std::vector<std::pair<const char*, const char*>>{
                 {R"({"systolic":280})", "systolic"},
                 {R"({"systolic":120,"diastolic":130})", "diastolic"},
                 {R"({"hr":20})", "hr"},
                 {R"({"spo2":40})", "spo2"}}) {
            CAPTURE(body);
            const Json r = api.json("POST", "/api/v1/session/vitals", therapist, body, 400);
            CHECK(r["problems"].dump().find(std::string(field) + ":") != std::string::npos);
        }
        api.json("POST", "/api/v1/session/vitals", therapist,
                 R"({"systolic":155,"diastolic":95,"hr":72,"spo2":97})", 200);
        api.json("POST", "/api/v1/session/vitals", therapist, R"({"systolic":120,"diastolic":80})",
                 200);
        const Json s = api.json("GET", "/api/v1/state", therapist, "", 200)["session"];
        REQUIRE(s["vitals"].size() == 2);
        CHECK(s["vitals"][0]["flags"] == Json({"systolic_high"}));
        CHECK(s["vitals"][0]["since_dose"].is_number());
        CHECK(s["vitals"][1]["flags"].empty());
        CHECK(s["vitals_flagged"] == true);
        CHECK(s["vitals_alert"]["systolic_max"] == 150);
        CHECK(s["vitals_alert"]["spo2_min"] == 92); // default
    }

    SUBCASE("booster: only where the template has one") {
        api.json("POST", "/api/v1/session/start", therapist, R"({"template":"plain"})", 200);
        const Json st = api.json("GET", "/api/v1/state", therapist, "", 200)["session"];
        CHECK(st["booster_available"] == false);
        CHECK(st["has_booster"] == false);
        const Json r =
            api.json("POST", "/api/v1/session/dose", therapist, R"({"booster":true})", 409);
        CHECK(r["error"] == "this session has no booster");
    }

    SUBCASE(
        "timeline: the whole session; extend and booster move what follows; summary after End") {
        api.json("GET", "/api/v1/session/timeline", therapist, "", 404); // nothing has run yet
        api.json("POST", "/api/v1/session/start", therapist, R"({"template":"s"})", 200);
        // A booster is offered only after the dose.
        CHECK(api.json("GET", "/api/v1/state", therapist, "",
                       200)["session"]["booster_available"] == false);
        api.json("POST", "/api/v1/session/dose", therapist, "{}", 200);
        CHECK(api.json("GET", "/api/v1/state", therapist, "",
                       200)["session"]["booster_available"] == true);
        Json t = api.json("GET", "/api/v1/session/timeline", therapist, "", 200);
        const double peak = phase_start(t, "peak");
        const double ret = phase_start(t, "return");
        CHECK(peak >= 0);
        CHECK(ret == doctest::Approx(peak + 1800).epsilon(0.001));
        CHECK(t["phases"][2]["start_actual"] == false);
        CHECK(t["dose"]["actual"] == true);
        REQUIRE(t["cues"].size() == 1);
        CHECK(t["cues"][0]["kind"] == "remind");
        CHECK(t["cues"][0]["fired"] == false);
        CHECK(t["volume"].size() >= 3);
        REQUIRE(t["lights"]["lamp"].size() >= 2);
        CHECK(t["lights"]["lamp"][1]["scene"] == "deep");
        CHECK(t["lights"]["lamp"][1]["brightness"] == doctest::Approx(0.05));
        api.json("POST", "/api/v1/session/extend", therapist, R"({"seconds":300})", 200);
        t = api.json("GET", "/api/v1/session/timeline", therapist, "", 200);
        CHECK(phase_start(t, "return") == doctest::Approx(ret + 300).epsilon(0.001));
        api.json("POST", "/api/v1/session/dose", therapist, R"({"booster":true})", 200);
        t = api.json("GET", "/api/v1/session/timeline", therapist, "", 200);
        CHECK(phase_start(t, "return") == doctest::Approx(ret + 300 + 600).epsilon(0.001));
        CHECK(t["booster"]["at"].is_number());
        api.json("POST", "/api/v1/session/comfort", therapist, "{}", 200);
        api.json("POST", "/api/v1/session/comfort", therapist, R"({"on":false})", 200);
        api.json("POST", "/api/v1/session/end", therapist, "{}", 200);
        CHECK(eventually(
            [&] {
                return api.json("GET", "/api/v1/state", therapist, "", 200)["session"]["status"] ==
                       "finished";
            },
            50));
        const Json st = api.json("GET", "/api/v1/state", therapist, "", 200)["session"];
        REQUIRE(st["summary"].is_object());
        const Json& sum = st["summary"];
        CHECK(sum["duration"].get<double>() > 0);
        CHECK(sum["phases"].size() == 2);
        CHECK(sum["dose_at"].is_number());
        CHECK(sum["booster_at"].is_number());
        CHECK(sum["comfort"].size() == 1);
        CHECK(sum["report"] == "/api/v1/reports/" + st["id"].get<std::string>());
        CHECK(api.json("GET", "/api/v1/session/summary", therapist, "", 200) == sum);
    }
}

TEST_CASE("tablet API: clinic room settings and PINs") {
    TabletRoom room;
    Api api(room.port);
    const std::string clinic = api.login("2468");
    const std::string therapist = api.login("1357");
    Json current = api.json("GET", "/api/v1/room", clinic, "", 200);
    const std::string before = read_text(room.lib_dir / "room.json");

    SUBCASE("two users sharing a PIN: 400 naming both; nothing changes") {
        Json j = current;
        j["control"]["users"][0]["pin"] = "2468"; // the therapist set to the clinic's PIN
        j["control"]["users"][0].erase("pin_hash");
        const Json r = api.json("PUT", "/api/v1/room", clinic, j.dump(), 400);
        CHECK(r["error"].get<std::string>().find("users \"t\" and \"k\" share a PIN") !=
              std::string::npos);
        j["control"]["users"][0]["pin"] = "5555";
        j["control"]["users"].push_back({{"name", "t2"}, {"role", "therapist"}, {"pin", "5555"}});
        const Json r2 = api.json("PUT", "/api/v1/room", clinic, j.dump(), 400);
        CHECK(r2["error"].get<std::string>().find("users \"t\" and \"t2\" share a PIN") !=
              std::string::npos);
        CHECK(read_text(room.lib_dir / "room.json") == before);
    }

    SUBCASE("a PIN shorter than 4 digits: 400 naming the user") {
        Json j = current;
        j["control"]["users"].push_back({{"name", "new"}, {"role", "curator"}, {"pin", "123"}});
        const Json r = api.json("PUT", "/api/v1/room", clinic, j.dump(), 400);
        CHECK(r["error"].get<std::string>().find("user \"new\": a PIN is 4 to 12 digits") !=
              std::string::npos);
        CHECK(read_text(room.lib_dir / "room.json") == before);
    }

    SUBCASE("name, ceiling, users added and removed: saved hashed and in force at once") {
        Json j = current;
        j["name"] = "Room 2";
        j["audio"] = {{"max_volume_db", -12}};
        j["control"]["users"].erase(1); // the curator leaves
        j["control"]["users"].push_back({{"name", "t3"}, {"role", "therapist"}, {"pin", "97531"}});
        api.json("PUT", "/api/v1/room", clinic, j.dump(), 200);
        const std::string saved = read_text(room.lib_dir / "room.json");
        CHECK(saved.find("97531") == std::string::npos); // never the plain PIN
        CHECK(saved.find("argon2") != std::string::npos);
        CHECK(api.json("GET", "/api/v1/state", therapist, "", 200)["room"]["name"] == "Room 2");
        const std::string t3 = api.login("97531");
        CHECK(api.call("POST", "/api/v1/login", "", R"({"pin":"8642"})")->status == 401);
        // The new ceiling holds for the next session.
        const Json st =
            api.json("POST", "/api/v1/session/start", t3, R"({"template":"plain"})", 200)["state"];
        CHECK(st["session"]["volume"]["ceiling_db"] == -12.0);
        const Json v = api.json("POST", "/api/v1/audio/volume", t3, R"({"trim_db":20})", 200);
        CHECK(v["state"]["session"]["volume"]["target_db"] == -12.0);
        CHECK(v["note"] == "limited to the room's maximum of -12.0 dB");
    }
}

TEST_CASE("tablet API: the curator's audio files") {
    TabletRoom room;
    Api api(room.port);
    const std::string curator = api.login("8642");
    const std::string therapist = api.login("1357");

    SUBCASE("list, preview with ranges, roles and paths") {
        const Json list = api.json("GET", "/api/v1/audio/files", curator, "", 200);
        REQUIRE(list["files"].size() == 1);
        CHECK(list["files"][0]["file"] == "audio/a.wav");
        CHECK(list["files"][0]["length"].get<double>() == doctest::Approx(3.0));
        CHECK(api.call("GET", "/api/v1/audio/files", therapist)->status == 403);
        const std::string whole = read_text(room.lib_dir / "audio/a.wav");
        auto r = api.call("GET", "/api/v1/audio/files/audio/a.wav", curator, "",
                          {{"Range", "bytes=100-199"}});
        REQUIRE(r);
        CHECK(r->status == 206);
        CHECK(r->body == whole.substr(100, 100));
        CHECK(r->get_header_value("Content-Range") ==
              "bytes 100-199/" + std::to_string(whole.size()));
        // A token in the URL is refused outside the event stream (docs/security.md).
        CHECK(api.call("GET", "/api/v1/audio/files/audio/a.wav?token=" + curator)->status == 401);
        r = api.call("GET", "/api/v1/audio/files/audio/a.wav", curator);
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body == whole);
        CHECK(r->get_header_value("Content-Type") == "audio/wav");
        write_text(room.dir.path / "secret.wav", "outside");
        for (const char* bad :
             {"/api/v1/audio/files/../secret.wav", "/api/v1/audio/files/audio/..%2F..%2Fsecret.wav",
              "/api/v1/audio/files/room.json", "/api/v1/audio/files/audio/.hidden.wav"}) {
            CAPTURE(bad);
            r = api.call("GET", bad, curator);
            REQUIRE(r);
            CHECK(r->status >= 400);
            CHECK(r->body.find("outside") == std::string::npos);
        }
        fs::create_symlink(room.dir.path / "secret.wav", room.lib_dir / "audio/link.wav");
        CHECK(api.call("GET", "/api/v1/audio/files/audio/link.wav", curator)->status == 400);
    }

    SUBCASE("upload in chunks: checked with libsndfile, saved atomically under audio/") {
        write_sine_wav(room.dir.path / "new.wav", 2);
        const std::string bytes = read_text(room.dir.path / "new.wav");
        const std::size_t half = bytes.size() / 2;
        auto put = [&](const std::string& path, std::size_t from, std::size_t to) {
            return api.call(
                "PUT", path, curator, bytes.substr(from, to - from),
                {{"Content-Range", "bytes " + std::to_string(from) + "-" + std::to_string(to - 1) +
                                       "/" + std::to_string(bytes.size())}});
        };
        auto r = put("/api/v1/audio/files/audio/new.wav", 0, half);
        REQUIRE(r);
        CHECK(r->status == 202);
        CHECK_FALSE(
            fs::exists(room.lib_dir / "audio/new.wav")); // not before it is whole and checked
        r = put("/api/v1/audio/files/audio/new.wav", half + 10, bytes.size()); // a gap
        CHECK(r->status == 409);
        r = put("/api/v1/audio/files/audio/new.wav", half, bytes.size());
        CHECK(r->status == 201);
        CHECK(Json::parse(r->body)["length"].get<double>() == doctest::Approx(2.0));
        CHECK(read_text(room.lib_dir / "audio/new.wav") == bytes);
        // Again without replace: 409; with: fine.
        CHECK(put("/api/v1/audio/files/audio/new.wav", 0, bytes.size())->status == 409);
        CHECK(put("/api/v1/audio/files/audio/new.wav?replace=1", 0, bytes.size())->status == 201);
        // Not audio, truncated audio, outside audio/, a therapist: refused, nothing saved.
        r = api.call("PUT", "/api/v1/audio/files/audio/text.wav", curator,
                     "this is not audio at all");
        CHECK(r->status == 400);
        CHECK(Json::parse(r->body)["error"].get<std::string>().find("not playable audio") !=
              std::string::npos);
        // (A WAV cut short is still playable up to the cut: libsndfile reads it as a shorter
        // file, so it is accepted with its real length; see docs/api.md.)
        CHECK(api.call("PUT", "/api/v1/audio/files/playlists/x.wav", curator, bytes)->status ==
              400);
        CHECK(api.call("PUT", "/api/v1/audio/files/audio/x.txt", curator, "x")->status == 400);
        CHECK(api.call("PUT", "/api/v1/audio/files/audio/y.wav", therapist, bytes)->status == 403);
        CHECK_FALSE(fs::exists(room.lib_dir / "audio/text.wav"));
        for (const auto& e : fs::directory_iterator(room.lib_dir / "audio"))
            CHECK(e.path().filename().string().find(".upload") == std::string::npos);
        // Too large for the limit (declared size): 413 before anything is written.
        r = api.call("PUT", "/api/v1/audio/files/audio/huge.wav", curator, "RIFF",
                     {{"Content-Range", "bytes 0-3/" + std::to_string(kMaxAudioUpload + 1)}});
        CHECK(r->status == 413);
    }

    SUBCASE("playlist analysis: applied gain, true peak, and the phases it serves") {
        const Json a = api.json("GET", "/api/v1/playlists/p/analysis", curator, "", 200);
        REQUIRE(a["tracks"].size() == 1);
        const Json& t = a["tracks"][0];
        CHECK(t["lufs"].is_number());
        CHECK(t["true_peak_dbtp"].is_number());
        CHECK(t["applied_gain_db"].is_number());
        CHECK(t["peak_after_gain_dbtp"].get<double>() ==
              doctest::Approx(t["true_peak_dbtp"].get<double>() +
                              t["applied_gain_db"].get<double>()));
        // p serves settle in s (10m) and only in plain (1h); it lasts 3 s and loops.
        REQUIRE(a["serves"].size() == 2);
        for (const auto& s : a["serves"]) {
            CHECK(s["fits"] == false);
            CHECK(s["loop"] == true);
            CHECK(s["length"].get<double>() == doctest::Approx(3.0));
        }
    }
}

// ---- issue 10, findings 8 and 9: paths stay in the library; PINs apply on their own ----

namespace {

// A WAV header for `data_bytes` of 16-bit PCM and a file that long, all of it a hole: a
// few KiB on disk, gigabytes to a reader.
void write_sparse_wav(const fs::path& path, int rate, int channels, std::uint32_t data_bytes) {
    fs::create_directories(path.parent_path());
    std::string h = "RIFF";
    auto u32 = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i)
            h += static_cast<char>((v >> (8 * i)) & 0xFF);
    };
    auto u16 = [&](std::uint16_t v) {
        for (int i = 0; i < 2; ++i)
            h += static_cast<char>((v >> (8 * i)) & 0xFF);
    };
    u32(36 + data_bytes);
    h += "WAVEfmt ";
    u32(16);
    u16(1); // PCM
    u16(static_cast<std::uint16_t>(channels));
    u32(static_cast<std::uint32_t>(rate));
    u32(static_cast<std::uint32_t>(rate * channels * 2));
    u16(static_cast<std::uint16_t>(channels * 2));
    u16(16);
    h += "data";
    u32(data_bytes);
    write_text(path, h);
    fs::resize_file(path, h.size() + data_bytes);
}

Json first_problem(const Json& body) {
    return body.contains("problems") && !body["problems"].empty() ? body["problems"][0]
                                                                  : Json(nullptr);
}

} // namespace

TEST_CASE(
    "library paths: no absolute or ../ paths, no links out, no FIFOs, no measuring in a request") {
    TabletRoom room;
    Api api(room.port);
    const std::string curator = api.login("8642");
    const fs::path outside = room.dir.path / "outside";
    write_text(outside / "secret.json", R"({"name":"SECRET-LIST","tracks":[]})");
    write_sine_wav(outside / "o.wav", 1);

    SUBCASE("absolute and ../ track paths are refused, naming the field") {
        for (const std::string& file : std::vector<std::string>{
                 "../outside/o.wav", (outside / "o.wav").string(), "audio/../../outside/o.wav"}) {
            CAPTURE(file);
            const Json body = api.json("PUT", "/api/v1/playlists/x", curator,
                                       Json{{"tracks", {{{"file", file}}}}}.dump(), 400);
            CHECK(first_problem(body)["file"] == "playlists/x.json");
            CHECK(first_problem(body)["path"] == "tracks[0].file");
            const std::string message = first_problem(body)["message"].get<std::string>();
            CHECK((message.find("leaves the library") != std::string::npos ||
                   message.find("absolute path") != std::string::npos));
        }
        CHECK_FALSE(fs::exists(room.lib_dir / "playlists/x.json"));
        // A template's sound cue too.
        const Json body = api.json(
            "PUT", "/api/v1/sessions/y", api.login("2468"),
            R"({"name":"Y","phases":[{"id":"a","duration":"5m"}],"cues":[{"at":"start+1m","sound":"../outside/o.wav"}]})",
            400);
        CHECK(first_problem(body)["path"] == "cues[0].sound");
    }

    SUBCASE("a link that leads out of the library is not followed") {
        fs::create_symlink(outside / "secret.json", room.lib_dir / "playlists/leak.json");
        fs::create_symlink(outside / "o.wav", room.lib_dir / "audio/link.wav");
        auto r = api.call("GET", "/api/v1/playlists/leak", curator);
        REQUIRE(r);
        CHECK(r->status == 403);
        CHECK(r->body.find("SECRET-LIST") == std::string::npos);
        r = api.call("GET", "/api/v1/playlists", curator);
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body.find("SECRET-LIST") == std::string::npos);
        const Json check = api.json("GET", "/api/v1/check", curator, "", 200);
        bool named = false;
        for (const auto& p : check["problems"])
            named |=
                p["file"] == "playlists/leak.json" &&
                p["message"].get<std::string>().find("outside the library") != std::string::npos;
        CHECK(named);
        const Json body = api.json("PUT", "/api/v1/playlists/x", curator,
                                   R"({"tracks":[{"file":"audio/link.wav"}]})", 400);
        CHECK(first_problem(body)["path"] == "tracks[0].file");
        CHECK(first_problem(body)["message"].get<std::string>().find("outside the library") !=
              std::string::npos);
        // A link that stays inside is fine.
        fs::create_symlink(room.lib_dir / "audio/a.wav", room.lib_dir / "audio/inside.wav");
        api.json("PUT", "/api/v1/playlists/x", curator,
                 R"({"tracks":[{"file":"audio/inside.wav"}]})", 200);
    }

    SUBCASE("a FIFO as a track or a playlist is refused at once, and the API stays up") {
        REQUIRE(::mkfifo((room.lib_dir / "audio/fifo.wav").c_str(), 0644) == 0);
        REQUIRE(::mkfifo((room.lib_dir / "playlists/pipe.json").c_str(), 0644) == 0);
        const Json body = api.json("PUT", "/api/v1/playlists/x", curator,
                                   R"({"tracks":[{"file":"audio/fifo.wav"}]})", 400);
        CHECK(first_problem(body)["path"] == "tracks[0].file");
        CHECK(first_problem(body)["message"].get<std::string>().find("not a regular file") !=
              std::string::npos);
        auto r = api.call("GET", "/api/v1/playlists", curator);
        REQUIRE(r);
        CHECK(r->status == 200);
        r = api.call("GET", "/api/v1/playlists/pipe", curator);
        REQUIRE(r);
        CHECK(r->status >= 400);
        // Saves still work.
        api.json("PUT", "/api/v1/playlists/x", curator, R"({"tracks":[{"file":"audio/a.wav"}]})",
                 200);
    }

    SUBCASE("a 2 GB sparse WAV is not measured; a long one is measured in the background") {
        write_sparse_wav(room.lib_dir / "audio/huge.wav", 48000, 2, 2'000'000'000u); // 2.9 h
        Json body = api.json("PUT", "/api/v1/playlists/x", curator,
                             R"({"tracks":[{"file":"audio/huge.wav"}]})", 200);
        bool said = false;
        for (const auto& w : body["warnings"])
            said |= w["message"].get<std::string>().find("longer than 2 h") != std::string::npos;
        CHECK(said);
        // 1.9 hours (8 kHz mono): measured, but never inside the request. The answer says it
        // is pending, and the API answers while it is measured.
        write_sparse_wav(room.lib_dir / "audio/long.wav", 8000, 1, 8000u * 2 * 6840);
        body = api.json("PUT", "/api/v1/playlists/y", curator,
                        R"({"tracks":[{"file":"audio/long.wav"}]})", 200);
        REQUIRE(body.contains("analysis"));
        CHECK(body["analysis"]["pending"] == Json::array({"audio/long.wav"}));
        CHECK(body["applied"] == Json::array({"library", "users"}));
        const Json analysis = api.json("GET", "/api/v1/playlists/y/analysis", curator, "", 200);
        CHECK(analysis["tracks"][0]["analysis"] == "pending");
    }
}

TEST_CASE(
    "a PIN change applies at once even while a playlist has an error, and the answer says so") {
    TabletRoom room;
    Api api(room.port);
    const std::string clinic = api.login("2468");
    write_text(room.lib_dir / "playlists/bad.json",
               R"({"tracks":[],"colour":"blue"})"); // unknown key
    Json current = api.json("GET", "/api/v1/room", clinic, "", 200);
    current["control"]["users"][0] = {{"name", "t"}, {"role", "therapist"}, {"pin", "97531"}};
    const Json answer = api.json("PUT", "/api/v1/room", clinic, current.dump(), 200);
    CHECK(answer["ok"] == true);
    CHECK(answer["applied"] == Json::array({"users"}));
    REQUIRE(answer["not_applied"].size() == 1);
    CHECK(answer["not_applied"][0]["file"] == "playlists/bad.json");
    CHECK(answer["not_applied"][0]["error"].get<std::string>().find("colour") != std::string::npos);
    // The new PIN works and the old one does not.
    api.login("97531");
    CHECK(api.call("POST", "/api/v1/login", "", R"({"pin":"1357"})")->status == 401);
    // Fixed: the whole library applies, and the answer says that too.
    write_text(room.lib_dir / "playlists/bad.json", R"({"tracks":[]})");
    const Json fixed =
        api.json("PUT", "/api/v1/playlists/p", api.login("8642"),
                 R"({"name":"P","loop":true,"tracks":[{"file":"audio/a.wav"}]})", 200);
    CHECK(fixed["applied"] == Json::array({"library", "users"}));
    CHECK(fixed["not_applied"].empty());
}
