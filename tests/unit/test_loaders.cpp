// Playlist, scene and room.json loaders, and whole-library checks.
#include "library/library.hpp"
#include "library/room_config.hpp"
#include "playlists/playlist.hpp"
#include "playlists/sndfile.hpp"
#include "scenes/scene.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <vector>

using stillroom::test::has_problem;
using stillroom::test::soon;
using stillroom::test::TempDir;

using namespace stillroom;
namespace fs = std::filesystem;

namespace {

void write_tone(const fs::path& path, int rate, double seconds) {
    std::string error;
    fs::create_directories(path.parent_path());
    auto f = SndFile::open_write(path, rate, 2, AudioFormat::WavFloat, &error);
    REQUIRE_MESSAGE(f, error);
    std::vector<float> buf(static_cast<std::size_t>(rate * seconds) * 2, 0.1f);
    f->write(buf.data(), static_cast<std::int64_t>(buf.size() / 2));
}

void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

} // namespace

TEST_CASE("playlist loader errors name the JSON path") {
    struct Row {
        const char* json;
        const char* path;
        const char* fragment;
    };
    const Row rows[] = {
        {R"({"name":"x"})", "tracks", "required"},
        {R"({"tracks":[{"title":"no file"}]})", "tracks[0].file", "required"},
        {R"({"tracks":[{"file":"a.flac","in":"1m","out":"30s"}]})", "tracks[0].out",
         "after \"in\""},
        {R"({"tracks":[{"file":"a.flac","gain_db":"loud"}]})", "tracks[0].gain_db",
         "expected a number"},
        {R"({"tracks":[], "order":"random"})", "order", "\"sequential\" or \"shuffle\""},
        {R"({"tracks":[], "crossfade":"2m"})", "crossfade", "at most 60s"},
        {R"({"tracks":[], "loop":"yes"})", "loop", "true or false"},
        {R"({"tracks":[{"file":"a.flac","artst":"x"}]})", "tracks[0].artst",
         "did you mean \"artist\""},
    };
    for (const auto& row : rows) {
        CAPTURE(row.json);
        Problems p("playlists/x.json");
        CHECK_FALSE(load_playlist(Json::parse(row.json), "x", p).has_value());
        INFO(p.to_string());
        CHECK(has_problem(p, row.path, row.fragment));
    }
}

TEST_CASE("playlist round trip through JSON") {
    Problems p("playlists/x.json");
    auto pl = load_playlist(
        Json::parse(R"({"name":"Onset","crossfade":"12s","order":"shuffle","loop":false,
        "tracks":[{"file":"audio/a.flac","title":"A","artist":"B","in":"5s","out":"5m20s","gain_db":-2}]})"),
        "onset", p);
    REQUIRE(pl);
    auto again = load_playlist(playlist_to_json(*pl), "onset", p);
    REQUIRE(again);
    CHECK(again->tracks[0].out == pl->tracks[0].out);
    CHECK(again->tracks[0].in == std::chrono::seconds{5});
    CHECK(again->order == PlayOrder::Shuffle);
    CHECK_FALSE(again->loop);
}

TEST_CASE("track lengths are measured from the audio and trimmed") {
    TempDir dir;
    write_tone(dir.path / "audio/one.wav", 48000, 2.0);
    write_tone(dir.path / "audio/two.wav", 44100, 1.5);
    write_text(dir.path / "audio/broken.wav", "RIFF nonsense");
    Problems p("playlists/x.json");
    auto pl = load_playlist(Json::parse(R"({"crossfade":"0.5s","tracks":[
        {"file":"audio/one.wav","in":"0.5s"},
        {"file":"audio/two.wav","out":"1s"},
        {"file":"audio/missing.wav"},
        {"file":"audio/broken.wav"},
        {"file":"audio/one.wav","in":"3s"}]})"),
                            "x", p);
    REQUIRE(pl);
    PlaylistInfo info = playlist_info(*pl, dir.path, p);
    INFO(p.to_string());
    CHECK(info.tracks[0].length == std::chrono::milliseconds{1500});
    CHECK(info.tracks[1].length == std::chrono::milliseconds{1000});
    CHECK(info.tracks[2].length == std::chrono::milliseconds{0});
    CHECK(info.tracks[3].length == std::chrono::milliseconds{0});
    CHECK(info.tracks[4].length == std::chrono::milliseconds{0});
    CHECK(has_problem(p, "tracks[2].file", "cannot be played"));
    CHECK(has_problem(p, "tracks[3].file", "cannot be played"));
    CHECK(has_problem(p, "tracks[4].in", "past the end"));
    // Two playable tracks, one 0.5 s overlap.
    CHECK(info.total_length() == std::chrono::milliseconds{2000});
}

TEST_CASE("scene loader") {
    const std::set<std::string> lights = {"ceiling", "strip"};
    struct Row {
        const char* json;
        const char* path;
        const char* fragment;
    };
    const Row rows[] = {
        {R"({"name":"x"})", "lights", "required"},
        {R"({"lights":{"*":{"brightness":1.5}}})", "lights[\"*\"].brightness", "from 0 to 1"},
        {R"({"lights":{"lamp":{"on":true}}})", "lights.lamp", "no light \"lamp\""},
        {R"({"lights":{"strip":{"kelvin":2200,"color":{"x":0.5,"y":0.4}}}})", "lights.strip",
         "not both"},
        {R"({"lights":{"strip":{"color":{"x":0.7,"y":0.6}}}})", "lights.strip.color",
         "must not exceed 1"},
        {R"({"lights":{"strip":{}}})", "lights.strip", "at least one of"},
        {R"({"lights":{"strip":{"kelvn":2200}}})", "lights.strip.kelvn", "did you mean \"kelvin\""},
        {R"({"fade":"slow","lights":{}})", "fade", "expected a duration"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.json);
        Problems p("scenes/x.json");
        CHECK_FALSE(load_scene(Json::parse(row.json), "x", p, &lights).has_value());
        INFO(p.to_string());
        CHECK(has_problem(p, row.path, row.fragment));
    }
    Problems p("scenes/deep.json");
    auto s = load_scene(Json::parse(R"({"name":"Deep","fade":"120s","lights":{
        "*":{"on":true,"brightness":0.08,"kelvin":2200},
        "strip":{"on":true,"brightness":0.05,"color":{"x":0.56,"y":0.40}}}})"),
                        "deep", p, &lights);
    REQUIRE(s);
    CHECK(s->target_for("ceiling")->kelvin == 2200);
    CHECK_FALSE(s->target_for("strip")->kelvin.has_value());
    CHECK(s->target_for("strip")->color->x == doctest::Approx(0.56));
    CHECK(s->target_for("strip")->brightness == doctest::Approx(0.05));
}

TEST_CASE("room.json loader") {
    const char* good = R"({"room":"room-1","name":"Room 1","state_dir":"state",
      "audio":{"device":"default","sample_rate":48000,"buffer_frames":512,
               "outputs":[{"id":"room","channels":[1,2],"gain_db":0},{"id":"headphones","channels":[3,4],"gain_db":-6}],
               "max_volume_db":-6},
      "mqtt":{"url":"mqtt://127.0.0.1:1883","client_id":"stillroom-room-1","username":"room1",
              "password_file":"secrets/mqtt","ca_file":null,"base_topic":"stillroom/room-1","homeassistant":true},
      "lights":[{"id":"ceiling","name":"Ceiling","dialect":"zigbee2mqtt","topic":"zigbee2mqtt/room1/ceiling",
                 "brightness":true,"kelvin":[2200,6500],"color":false,"transition":true,"max_rate_hz":2}],
      "midi":{"inputs":[{"port":"nanoKONTROL2","map":[{"cc":0,"action":"volume"},{"note":41,"action":"comfort"}]}],
              "outputs":[{"id":"desk","port":"Desk"}]},
      "control":{"listen":"127.0.0.1:8080","tls":null,
                 "users":[{"name":"therapist","role":"therapist","pin_hash":"x"}]}})";
    Problems ok("room.json");
    auto room = load_room_config(Json::parse(good), ok);
    INFO(ok.to_string());
    REQUIRE(room);
    CHECK(room->mqtt->port == 1883);
    CHECK(room->audio->outputs.size() == 2);
    CHECK(room->lights[0].kelvin->first == 2200);
    CHECK(room->midi->inputs[0].map[1].note == 41);
    CHECK(room->control.port == 8080);

    struct Row {
        const char* pointer;
        Json value;
        const char* path;
        const char* fragment;
    };
    const Row rows[] = {
        {"/room", "room 1", "room", "expected an id"},
        {"/mqtt/url", "http://x", "mqtt.url", "mqtt://HOST:PORT"},
        {"/mqtt/support_url", "ftp://clinic/help", "mqtt.support_url", "http:// or https://"},
        {"/audio/sample_rate", 1000, "audio.sample_rate", "from 8000 to 192000"},
        {"/audio/outputs/1/channels/0", 2, "audio.outputs[1].channels[0]", "used by two outputs"},
        {"/audio/max_volume_db", 6, "audio.max_volume_db", "from -60 to 0"},
        {"/lights/0/dialect", "hue", "lights[0].dialect", "expected zigbee2mqtt"},
        {"/lights/0/kelvin", Json::array({6500, 2200}), "lights[0].kelvin", "expected [MIN, MAX]"},
        {"/lights/0/max_rate_hz", 100, "lights[0].max_rate_hz", "from 0.1 to 20"},
        {"/midi/inputs/0/map/0/action", "dance", "midi.inputs[0].map[0].action", "unknown action"},
        {"/midi/inputs/0/map/0/note", 3, "midi.inputs[0].map[0]", "exactly one of"},
        {"/control/listen", "everywhere", "control.listen", "HOST:PORT"},
        {"/control/users/0/role", "admin", "control.users[0].role", "therapist, curator or clinic"},
        {"/control/tls", Json{{"cert", "c.pem"}}, "control.tls.key", "required"},
        {"/colour", 1, "colour", "unknown key"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.pointer);
        Json j = Json::parse(good);
        j[Json::json_pointer(row.pointer)] = row.value;
        Problems p("room.json");
        CHECK_FALSE(load_room_config(j, p).has_value());
        INFO(p.to_string());
        CHECK(has_problem(p, row.path, row.fragment));
    }
}

TEST_CASE("a whole library: every file's problems at once, with file names") {
    TempDir dir;
    write_tone(dir.path / "audio/a.wav", 8000, 60.0);
    write_text(dir.path / "room.json",
               R"({"room":"r","lights":[{"id":"lamp","dialect":"simulated"}]})");
    write_text(dir.path / "scenes/calm.json", R"({"lights":{"*":{"on":true,"brightness":0.2}}})");
    write_text(dir.path / "scenes/bad.json", R"({"lights":{"lampp":{"on":true}}})");
    write_text(dir.path / "playlists/short.json",
               R"({"loop":false,"crossfade":"0s","tracks":[{"file":"audio/a.wav"}]})");
    write_text(dir.path / "playlists/gone.json", R"({"tracks":[{"file":"audio/gone.wav"}]})");
    write_text(dir.path / "sessions/s.json", R"({"name":"S","phases":[
        {"id":"one","duration":"5m","playlist":"short","scene":"calm"}]})");
    write_text(dir.path / "sessions/broken.json",
               R"({"name":"B","phases":[{"id":"one","duration":"soon"}]})");
    write_text(dir.path / "sessions/Bad Name.json", "{}");
    Problems problems;
    Library lib = load_library(dir.path, problems);
    check_library(lib, problems);
    INFO(problems.to_string());
    auto has = [&](const std::string& file, const std::string& path, const std::string& fragment) {
        for (const auto& p : problems.list())
            if (p.file == file && p.path == path && p.message.find(fragment) != std::string::npos)
                return true;
        return false;
    };
    CHECK(has("scenes/bad.json", "lights.lampp", "no light"));
    CHECK(has("playlists/gone.json", "tracks[0].file", "cannot be played"));
    CHECK(has("sessions/broken.json", "phases[0].duration", "expected a duration"));
    CHECK(has("sessions/Bad Name.json", "", "file name"));
    CHECK(has("sessions/s.json", "phases[0].playlist", "the room would fall silent"));
    CHECK(lib.templates.count("s") == 1);
    CHECK(lib.templates.count("broken") == 0);
}
