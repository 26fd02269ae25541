// Issue 19 in the engine: the end fade yields to Lights up, Comfort and Volume; a phase with
// a playlist that falls silent is seen (state) and recorded (a `silence` event with seconds).
#include "fixtures.hpp"

using namespace stillroom;
using namespace stillroom::test;

namespace {

Command volume_step(double db) {
    Command c = cmd(CommandKind::Volume);
    c.volume_how = VolumeHow::Step;
    c.db = db;
    return c;
}

// The journal's silence records with a length (the music stopping is an event "silence"
// without one: the report's music lane).
std::vector<Json> events_named(const Effects& effects, const std::string& name) {
    std::vector<Json> out;
    for (const auto& e : effects)
        if (const auto* r = std::get_if<JournalRecord>(&e.body))
            if (r->record.value("type", "") == "event" && r->record.value("event", "") == name &&
                r->record.contains("seconds"))
                out.push_back(r->record);
    return out;
}

std::optional<SetVolume> last_volume(const Effects& effects) {
    std::optional<SetVolume> v;
    for (const auto& e : effects)
        if (const auto* s = std::get_if<SetVolume>(&e.body)) v = *s;
    return v;
}

std::optional<std::string> last_scene(const Effects& effects) {
    std::optional<std::string> v;
    for (const auto& e : effects)
        if (const auto* s = std::get_if<SetScene>(&e.body)) v = s->scene;
    return v;
}

// The return phase's list lasts an hour and does not loop: it falls silent at 1 h.
const char* kShortReturn = R"({
  "name": "Short return",
  "phases": [
    {"id": "settle", "duration": "10m", "playlist": "settle", "scene": "s1"},
    {"id": "return", "until": "therapist", "duration": "1h", "playlist": "return", "scene": "s4"}
  ],
  "comfort": {"scene": "comfort", "fade": "10s", "volume_offset_db": -6},
  "lights_up": {"scene": "bright", "fade": "3s", "volume_offset_db": -20},
  "end": {"scene": "s1", "fade": "2m"}
})";

PlaylistCatalog short_return_playlists() {
    PlaylistCatalog c;
    c["settle"] = playlist("settle", 0s, {10min});
    c["return"] = playlist("return", 0s, {1min}, false);
    return c;
}

} // namespace

TEST_CASE("the end fade yields to Lights up, Comfort and Volume until the room is idle") {
    struct Row {
        const char* name;
        Command command;
        const char* scene; // the scene it brings, or "" for none
        bool lowers_volume;
    };
    Command comfort = cmd(CommandKind::Comfort);
    Command lights = cmd(CommandKind::LightsUp);
    const std::vector<Row> rows = {
        {"lights up", lights, "bright", true},
        {"comfort", comfort, "comfort", true},
        {"volume -3", volume_step(-3), "", true},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        Session s(setup_from(kShortReturn, short_return_playlists()));
        s.start();
        s.advance_to(5min);
        const Outcome end = s.apply(cmd(CommandKind::End), 5min);
        REQUIRE(end.accepted);
        const DesiredState before = s.desired_state(5min + 30s);
        REQUIRE(before.status == SessionStatus::Ending);
        const Outcome out = s.apply(row.command, 5min + 30s);
        INFO(out.reason);
        CHECK(out.accepted); // never "the session is ending"
        const DesiredState after = s.desired_state(5min + 30s);
        if (*row.scene) {
            CHECK(last_scene(out.effects) == std::optional<std::string>(row.scene));
            CHECK(after.scene == row.scene);
        }
        if (row.lowers_volume) {
            const auto v = last_volume(out.effects);
            REQUIRE(v.has_value());
            CHECK(v->db < -20 + 0.01); // below the level the fade began from
            CHECK(after.volume_db < before.volume_db);
        }
        // The fade still reaches silence and the room goes idle when it was due.
        const DesiredState near_end = s.desired_state(5min + 2min - 1s);
        CHECK(near_end.volume_db < before.volume_db);
        s.advance_to(5min + 2min);
        CHECK(s.status() == SessionStatus::Finished);
        CHECK_FALSE(s.apply(row.command, 8min).accepted); // idle: nothing left to yield
    }
}

TEST_CASE("a phase with a playlist that falls silent: state after 5 s, a silence record") {
    Session s(setup_from(kShortReturn, short_return_playlists()));
    Effects all = s.start();
    append(all, s.advance_to(10min + 30s));
    CHECK_FALSE(s.desired_state(10min + 30s).silent_since.has_value()); // playing

    // The one-minute list runs out at 11:00 and does not loop.
    append(all, s.advance_to(11min + 3s));
    const DesiredState early = s.desired_state(11min + 3s);
    REQUIRE(early.silent_since.has_value());
    CHECK(*early.silent_since == 11min);
    CHECK_FALSE(early.playing.has_value());
    CHECK(events_named(all, "silence").empty()); // recorded when it ends, with its length

    // Ended by End after 2 min 30 s of silence: one record with its length in seconds.
    const Outcome end = s.apply(cmd(CommandKind::End), 13min + 30s);
    append(all, end.effects);
    const auto records = events_named(all, "silence");
    REQUIRE(records.size() == 1);
    CHECK(records[0]["seconds"] == 150);
    CHECK(records[0]["t"] == Ms{13min + 30s}.count());
    CHECK_FALSE(s.desired_state(13min + 30s).silent_since.has_value());
}

TEST_CASE("a short gap is no silence record; a silent phase without a playlist is not silence") {
    struct Row {
        const char* name;
        Ms end_at;
        std::size_t records;
    };
    const std::vector<Row> rows = {
        {"4 s", 11min + 4s, 0}, {"5 s", 11min + 5s, 0}, {"6 s", 11min + 6s, 1}};
    for (const auto& row : rows) {
        CAPTURE(row.name);
        Session s(setup_from(kShortReturn, short_return_playlists()));
        Effects all = s.start();
        append(all, s.advance_to(row.end_at));
        append(all, s.apply(cmd(CommandKind::End), row.end_at).effects);
        CHECK(events_named(all, "silence").size() == row.records);
    }
    const char* kNoPlaylist =
        R"({"name": "Quiet", "phases": [{"id": "quiet", "duration": "10m"}]})";
    Session quiet(setup_from(kNoPlaylist, {}));
    quiet.start();
    quiet.advance_to(5min);
    CHECK_FALSE(quiet.desired_state(5min).silent_since.has_value());
}

TEST_CASE("trim raised under Lights up or Comfort returns as a glide, at most 6 dB above") {
    struct Row {
        const char* name;
        CommandKind overlay;
        double raised_db; // Volume + steps during the overlay, in dB
        double trim_after;
        bool note;
    };
    const std::vector<Row> rows = {
        {"lights up +4", CommandKind::LightsUp, 4, 4, false},
        {"lights up +6", CommandKind::LightsUp, 6, 6, false},
        {"lights up +12", CommandKind::LightsUp, 12, 6, true},
        {"comfort +10", CommandKind::Comfort, 10, 6, true},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        Session s(setup_from(kShortReturn, short_return_playlists()));
        s.start();
        s.apply(volume_step(-4), 1min); // trim -4 before the overlay
        Command on = cmd(row.overlay);
        s.apply(on, 2min);
        for (double d = 0; d < row.raised_db; d += 2)
            s.apply(volume_step(2), 2min + 10s);
        Command off = cmd(row.overlay);
        off.on = false;
        const Outcome out = s.apply(off, 3min);
        REQUIRE(out.accepted);
        const DesiredState after = s.desired_state(3min);
        CHECK(after.volume_trim_db == doctest::Approx(-4 + row.trim_after));
        CHECK(out.reason.empty() == !row.note);
        // A glide, never a step: the level at the release is still where the overlay had it.
        const auto v = last_volume(out.effects);
        REQUIRE(v.has_value());
        CHECK(v->ramp >= 10s);
        CHECK(after.volume_db < after.volume_target_db);
    }
}
