// Session template loading: every error path names the file and the JSON path.
#include "engine/template.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

using stillroom::test::has_problem;
using stillroom::test::soon;

using namespace stillroom;

namespace {

const char* kGood = R"({
  "name": "IM ketamine",
  "phases": [
    {"id": "settle", "until": "dose", "duration": "15m", "playlist": "settle", "scene": "settle"},
    {"id": "peak", "duration": "30m", "playlist": "peak", "scene": "deep", "fade": "120s"},
    {"id": "return", "until": "therapist", "duration": "20m", "playlist": "peak", "scene": "deep"}
  ],
  "cues": [
    {"at": "dose+15m", "remind": "Check blood pressure", "vitals": true},
    {"at": "phase:peak+0s", "scene": "deep", "fade": "3m"},
    {"at": "dose+40m", "sound": "audio/chime.flac", "gain_db": -30},
    {"at": "phase:return+2m", "volume_db": -28, "ramp": "30s"},
    {"at": "phase:peak+0s", "midi": {"output": "desk", "bytes": [240, 127, 127, 2, 1, 1, 49, 247]}},
    {"at": "dose+0s", "mqtt": {"topic": "clinic/room1/door", "payload": {"sign": "in session"}}}
  ],
  "booster": {"extend": "peak", "by": "30m"},
  "comfort": {"playlist": "peak", "scene": "deep", "fade": "60s", "volume_offset_db": -6},
  "lights_up": {"scene": "deep", "fade": "3s", "volume_offset_db": -20}
})";

LibraryRefs refs() {
    LibraryRefs r;
    r.playlists = {"settle", "peak"};
    r.scenes = {"settle", "deep"};
    r.midi_outputs = {"desk"};
    r.midi_configured = true;
    r.file_readable = [](const std::string& f) { return f == "audio/chime.flac"; };
    return r;
}

// Applies a JSON-pointer edit to the good template and loads it.
Problems load_with(const std::string& pointer, const Json& value, bool remove = false) {
    Json j = Json::parse(kGood);
    if (remove) {
        const auto ptr = Json::json_pointer(pointer);
        j[ptr.parent_pointer()].erase(ptr.back());
    } else {
        j[Json::json_pointer(pointer)] = value;
    }
    Problems problems("sessions/im75.json");
    const LibraryRefs r = refs();
    auto t = load_template(j, "im75", problems, &r);
    CHECK_FALSE(t.has_value());
    return problems;
}

} // namespace

TEST_CASE("the good template loads with its references checked") {
    Problems problems("sessions/im75.json");
    const LibraryRefs r = refs();
    auto t = load_template(Json::parse(kGood), "im75", problems, &r);
    INFO(problems.to_string());
    REQUIRE(t.has_value());
    CHECK_FALSE(problems.has_errors());
    CHECK(t->phases.size() == 3);
    CHECK(t->phases[0].until == PhaseEnd::Dose);
    CHECK(t->phases[2].until == PhaseEnd::Therapist);
    CHECK(t->phases[1].until == PhaseEnd::Time);
    CHECK(t->cues.size() == 6);
    CHECK(t->cues[4].midi->bytes.size() == 8);
    CHECK(t->cues[5].mqtt->payload == R"({"sign":"in session"})");
    CHECK(t->booster->by == std::chrono::minutes{30});
    CHECK(t->dose_phase_index() == 0);
}

TEST_CASE("the error DESIGN.md shows, word for word where it matters") {
    Problems p = load_with("/phases/2/duration", "fifteen");
    CHECK(p.to_string().find(
              "sessions/im75.json: phases[2].duration: expected a duration like \"15m\"") !=
          std::string::npos);
    CHECK(p.to_string().find("got \"fifteen\"") != std::string::npos);
}

TEST_CASE("every loader error names file and JSON path") {
    struct Row {
        const char* pointer;
        Json value;
        bool remove;
        const char* path;
        const char* fragment;
    };
    const Row rows[] = {
        {"/name", nullptr, true, "name", "required"},
        {"/name", 5, false, "name", "expected a string, got 5"},
        {"/phasse", Json::array(), false, "phasse", "did you mean \"phases\""},
        {"/phases", Json::array(), false, "phases", "at least one phase"},
        {"/phases", "all", false, "phases", "expected an array"},
        {"/phases/0/until", "later", false, "phases[0].until",
         "expected \"time\", \"dose\" or \"therapist\""},
        {"/phases/1/duration", "fifteen", false, "phases[1].duration", "got \"fifteen\""},
        {"/phases/1/duration", -5, false, "phases[1].duration", "expected a duration"},
        {"/phases/1/duration", "0s", false, "phases[1].duration", "longer than 0s"},
        {"/phases/1/id", "pe ak", false, "phases[1].id", "expected an id"},
        {"/phases/1/id", "settle", false, "phases[1].id", "used twice"},
        {"/phases/1/until", "dose", false, "phases[1].until", "only one phase"},
        {"/phases/0/volume_db", 5, false, "phases[0].volume_db", "from -90 to 0"},
        {"/phases/0/fadee", "1m", false, "phases[0].fadee", "did you mean \"fade\""},
        {"/phases/0/playlist", "nope", false, "phases[0].playlist", "no playlist \"nope\""},
        {"/phases/0/scene", "nope", false, "phases[0].scene", "no scene \"nope\""},
        {"/phases/0", "settle", false, "phases[0]", "expected an object"},
        {"/cues/0/at", "noon", false, "cues[0].at", "got \"noon\""},
        {"/cues/0/at", "dose-5m", false, "cues[0].at", "cannot come before"},
        {"/cues/1/at", "phase:nowhere+1m", false, "cues[1].at", "no phase \"nowhere\""},
        {"/cues/0", Json{{"at", "dose+1m"}}, false, "cues[0]", "needs something to do"},
        {"/cues/0/remind", "", false, "cues[0].remind", "1 to 200 characters"},
        {"/cues/2/sound", "audio/missing.flac", false, "cues[2].sound", "missing or unreadable"},
        {"/cues/2/gain_db", 40, false, "cues[2].gain_db", "from -90 to 12"},
        {"/cues/2/gain_db", 6, false, "cues[2].gain_db",
         "+6 dB would play it louder than the music"},
        {"/cues/2/gain_db", 0.5, false, "cues[2].gain_db", "add \"louder_than_music\": true"},
        {"/cues/0/louder_than_music", true, false, "cues[0].louder_than_music",
         "goes with \"sound\""},
        {"/cues/2/louder_than_music", "yes", false, "cues[2].louder_than_music", "expected"},
        {"/cues/3/ramp", "soon", false, "cues[3].ramp", "expected a duration"},
        {"/cues/4/midi/output", "stage", false, "cues[4].midi.output", "no MIDI output \"stage\""},
        {"/cues/4/midi/bytes/1", 300, false, "cues[4].midi.bytes[1]", "from 0 to 255"},
        {"/cues/4/midi/bytes/0", 12, false, "cues[4].midi.bytes[0]", "status byte"},
        {"/cues/4/midi/bytes", Json::array(), false, "cues[4].midi.bytes", "1 to 1024 bytes"},
        {"/cues/5/mqtt/topic", "clinic/#", false, "cues[5].mqtt.topic", "without wildcards"},
        {"/cues/5/mqtt/payload", nullptr, true, "cues[5].mqtt.payload", "required"},
        {"/booster/extend", "settle", false, "booster.extend", "after \"settle\""},
        {"/booster/extend", "nowhere", false, "booster.extend", "no phase \"nowhere\""},
        {"/booster/by", "lots", false, "booster.by", "expected a duration"},
        {"/comfort/volume_offset_db", 3, false, "comfort.volume_offset_db", "from -60 to 0"},
        {"/comfort/playlist", "nope", false, "comfort.playlist", "no playlist"},
        {"/lights_up/scene", "nope", false, "lights_up.scene", "no scene"},
        {"/end/fade", "forever", false, "end.fade", "expected a duration"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.pointer);
        CAPTURE(row.path);
        Problems p = load_with(row.pointer, row.value, row.remove);
        INFO(p.to_string());
        CHECK(has_problem(p, row.path, row.fragment));
    }
}

TEST_CASE("a sound louder than the music loads only with the cue's explicit opt-in") {
    Json j = Json::parse(kGood);
    j["cues"][2]["gain_db"] = 6;
    j["cues"][2]["louder_than_music"] = true;
    Problems problems("sessions/im75.json");
    const LibraryRefs r = refs();
    auto t = load_template(j, "im75", problems, &r);
    INFO(problems.to_string());
    REQUIRE(t.has_value());
    CHECK(t->cues[2].gain_db == 6);
    CHECK(t->cues[2].louder_than_music);
    j["cues"][2]["gain_db"] = 0; // as loud as the music: no opt-in needed
    j["cues"][2].erase("louder_than_music");
    Problems again("sessions/im75.json");
    CHECK(load_template(j, "im75", again, &r).has_value());
}

TEST_CASE("every problem is reported at once") {
    Json j = Json::parse(kGood);
    j["phases"][0]["duration"] = "x";
    j["phases"][1]["until"] = "never";
    j["cues"][0]["at"] = "later";
    j["typo"] = 1;
    Problems problems("sessions/im75.json");
    CHECK_FALSE(load_template(j, "im75", problems).has_value());
    CHECK(problems.error_count() == 4);
}

TEST_CASE("invalid JSON text names line and column") {
    Problems problems("sessions/bad.json");
    auto j = parse_json_text("{\n  \"name\": \"x\",\n  \"phases\": [,]\n}", problems);
    CHECK_FALSE(j.has_value());
    REQUIRE(problems.list().size() == 1);
    CHECK(problems.list()[0].to_string().find("sessions/bad.json: invalid JSON at line 3") == 0);
}
