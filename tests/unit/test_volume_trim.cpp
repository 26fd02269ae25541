// The therapist's trim is stored limited by the room's ceiling (docs/audio.md "Volume"): a
// request above what the ceiling lets through stores the highest audible trim, so that when
// a later phase lowers the arc the room moves down with it instead of staying pinned at the
// ceiling. Every expectation below is a number worked out by hand from the fixture (ceiling
// -6 dB; arc -18 in onset, the same in peak, -24 in return, -28 from the cue
// phase:return+2m), never read back from the value under test.
#include "fixtures.hpp"
#include "test_support.hpp"

using namespace stillroom;
using namespace stillroom::test;

namespace {

Command volume(VolumeHow how, double db) {
    Command c = cmd(CommandKind::Volume);
    c.volume_how = how;
    c.db = db;
    return c;
}

// The SetVolume effects among `effects`, as (at, db).
std::vector<std::pair<Ms, double>> volume_effects(const Effects& effects) {
    std::vector<std::pair<Ms, double>> out;
    for (const auto& e : effects)
        if (const auto* v = std::get_if<SetVolume>(&e.body)) out.emplace_back(e.at, v->db);
    return out;
}

} // namespace

TEST_CASE("volume: a trim asked above the ceiling is stored limited; the next phase lowers the "
          "level with the arc") {
    struct Row {
        const char* name;
        Command ask;
    };
    // In onset (arc -18, ceiling -6) the highest trim the ceiling lets through is +12.
    const Row rows[] = {
        {"trim +20", volume(VolumeHow::Trim, 20)},
        {"trim +12.5", volume(VolumeHow::Trim, 12.5)},
        {"level 0 dB (trim +18)", volume(VolumeHow::Level, 0)},
        {"level -5.9 dB (trim +12.1)", volume(VolumeHow::Level, -5.9)},
        {"step +30 from trim 0", volume(VolumeHow::Step, 30)},
    };
    for (const auto& row : rows) {
        const std::string name = row.name;
        CAPTURE(name);
        Session s(setup_from(kThreeHourTemplate, three_hour_playlists()));
        s.start();
        REQUIRE(s.apply(cmd(CommandKind::Dose), mins(5)).accepted); // onset: arc -18
        const Outcome o = s.apply(row.ask, mins(6));
        REQUIRE(o.accepted);
        CHECK(o.reason == "limited to the room's maximum of -6.0 dB");
        // The stored trim: +12, not what was asked.
        auto d = s.desired_state(mins(7));
        CHECK(d.volume_trim_db == doctest::Approx(12));
        CHECK(d.volume_target_db == doctest::Approx(-6));
        // The journal says the trim it set (what a resume replays), not what was asked.
        bool journaled = false;
        for (const auto& e : o.effects)
            if (const auto* r = std::get_if<JournalRecord>(&e.body))
                if (r->record.value("cmd", "") == "volume") {
                    journaled = true;
                    CHECK(r->record["args"]["trim_db"].get<double>() == doctest::Approx(12));
                }
        CHECK(journaled);

        // Peak (dose+20m) keeps the arc: still at the ceiling.
        s.advance_to(mins(30));
        CHECK(s.desired_state(mins(30)).volume_target_db == doctest::Approx(-6));
        // Return starts at dose + 20m + 1h30m = 1:55:00 with arc -24: -24 + 12 = -12, ramped
        // there by the phase change itself (the mixer is told -12, not the ceiling).
        const Effects at_return = s.advance_to(mins(5 + 20 + 90));
        d = s.desired_state(s.now());
        REQUIRE(d.phase_id == "return");
        CHECK(d.volume_trim_db == doctest::Approx(12));
        CHECK(d.volume_target_db == doctest::Approx(-12));
        const auto ramps = volume_effects(at_return);
        REQUIRE_FALSE(ramps.empty());
        CHECK(ramps.back().second == doctest::Approx(-12));
        // The cue phase:return+2m sets the arc to -28: -28 + 12 = -16.
        s.advance_to(mins(5 + 20 + 90 + 3));
        CHECK(s.desired_state(s.now()).volume_target_db == doctest::Approx(-16));
    }
}

TEST_CASE("volume: a trim at or under the ceiling's limit is stored as asked") {
    // The other side of the edge: +12 exactly, and just under, are not limited.
    const std::pair<double, double> rows[] = {{12, -12}, {11.9, -12.1}, {-3, -27}};
    for (const auto& [trim, at_return] : rows) {
        CAPTURE(trim);
        Session s(setup_from(kThreeHourTemplate, three_hour_playlists()));
        s.start();
        REQUIRE(s.apply(cmd(CommandKind::Dose), mins(5)).accepted);
        const Outcome o = s.apply(volume(VolumeHow::Trim, trim), mins(6));
        REQUIRE(o.accepted);
        CHECK(o.reason.empty());
        CHECK(s.desired_state(mins(7)).volume_trim_db == doctest::Approx(trim));
        s.advance_to(mins(5 + 20 + 90));
        const auto d = s.desired_state(s.now());
        REQUIRE(d.phase_id == "return");
        CHECK(d.volume_target_db == doctest::Approx(at_return));
    }
}
