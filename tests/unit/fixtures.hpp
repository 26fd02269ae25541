// Shared test fixtures: templates and playlists made in code, with exact track lengths.
#pragma once

#include "engine/duration.hpp"
#include "engine/effects.hpp"
#include "engine/session.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace stillroom::test {

using namespace std::chrono_literals;

inline PlaylistInfo playlist(const std::string& id, Ms crossfade, std::vector<Ms> lengths,
                             bool loop = true, PlayOrder order = PlayOrder::Sequential) {
    PlaylistInfo p;
    p.id = id;
    p.name = id;
    p.crossfade = crossfade;
    p.loop = loop;
    p.order = order;
    for (std::size_t i = 0; i < lengths.size(); ++i) {
        TrackInfo t;
        t.file = "audio/" + id + "-" + std::to_string(i + 1) + ".flac";
        t.title = id + " " + std::to_string(i + 1);
        t.length = lengths[i];
        p.tracks.push_back(t);
    }
    return p;
}

inline SessionSetup setup_from(const std::string& template_json, PlaylistCatalog playlists,
                               std::uint64_t seed = 42) {
    Problems problems("sessions/test.json");
    Json json = Json::parse(template_json);
    auto tmpl = load_template(json, "test", problems);
    INFO(problems.to_string());
    REQUIRE(tmpl.has_value());
    SessionSetup s;
    s.id = "s-test";
    s.seed = seed;
    s.tmpl = *tmpl;
    s.template_json = json;
    s.playlists = std::move(playlists);
    s.max_volume_db = -6;
    return s;
}

// The three-hour template used by the timeline and property tests.
inline const char* kThreeHourTemplate = R"({
  "name": "Three hours",
  "phases": [
    {"id": "settle", "until": "dose", "duration": "10m", "playlist": "settle", "scene": "s1", "fade": "60s", "volume_db": -20},
    {"id": "onset", "duration": "20m", "playlist": "onset", "scene": "s2", "fade": "90s", "volume_db": -18},
    {"id": "peak", "duration": "1h30m", "playlist": "peak", "scene": "s3", "fade": "2m"},
    {"id": "return", "until": "therapist", "duration": "1h", "playlist": "return", "scene": "s4", "fade": "10m", "volume_db": -24}
  ],
  "cues": [
    {"at": "start+5m", "midi": {"output": "desk", "bytes": [144, 60, 100]}},
    {"at": "dose+0s", "mqtt": {"topic": "clinic/room1/door", "payload": {"sign": "in session"}}},
    {"at": "dose+15m", "remind": "Check blood pressure", "vitals": true},
    {"at": "phase:peak+0s", "scene": "s5", "fade": "3m"},
    {"at": "dose+40m", "sound": "audio/chime.flac", "gain_db": -30},
    {"at": "phase:return+2m", "volume_db": -28, "ramp": "30s"},
    {"at": "dose+2h", "remind": "Vitals"}
  ],
  "booster": {"extend": "peak", "by": "30m"},
  "comfort": {"playlist": "grounding", "scene": "comfort", "fade": "60s", "volume_offset_db": -6},
  "lights_up": {"scene": "bright", "fade": "3s", "volume_offset_db": -20}
})";

inline PlaylistCatalog three_hour_playlists() {
    PlaylistCatalog c;
    c["settle"] = playlist("settle", 10s, {4min, 4min});
    c["onset"] = playlist("onset", 12s, {15min});
    c["peak"] = playlist("peak", 20s, {20min, 25min, 30min});
    c["return"] = playlist("return", 15s, {30min, 30min}, false);
    c["grounding"] = playlist("grounding", 10s, {5min, 6min});
    return c;
}

// "12:00 scene s2 over 1m30s" for every effect except journal records.
inline std::vector<std::string> summarize(const Effects& effects) {
    std::vector<std::string> out;
    for (const auto& e : effects) {
        if (std::holds_alternative<JournalRecord>(e.body)) continue;
        out.push_back(format_clock(e.at) + " " + describe(e.body));
    }
    return out;
}

inline Command cmd(CommandKind kind) {
    Command c;
    c.kind = kind;
    return c;
}

inline void append(Effects& to, Effects more) {
    to.insert(to.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
}

} // namespace stillroom::test
