// Scenes belong to the session: the start record carries every reachable scene resolved
// per light; SetScene effects and the desired state carry those targets; a session
// restored from its journal uses its own copy, whatever the scene files say now.
#include "fixtures.hpp"

#include "engine/restore.hpp"
#include "scenes/scene.hpp"

#include <doctest/doctest.h>

using namespace stillroom;
using namespace stillroom::test;

namespace {

SceneLights dim(double brightness) {
    return {{"ceiling", LightTarget{true, brightness, 2700.0, std::nullopt}},
            {"lamp", LightTarget{true, brightness, 2200.0, std::nullopt}}};
}

const SetScene* first_scene(const Effects& effects) {
    for (const auto& e : effects)
        if (const auto* s = std::get_if<SetScene>(&e.body)) return s;
    return nullptr;
}

} // namespace

TEST_CASE("a session's scenes travel in its effects, desired state and journal") {
    SessionSetup setup = setup_from(kThreeHourTemplate, three_hour_playlists());
    setup.scenes["s1"] = dim(0.1);
    Session session(setup);
    const Effects start = session.start();
    const SetScene* s = first_scene(start);
    REQUIRE(s);
    CHECK(s->scene == "s1");
    CHECK(s->lights == dim(0.1)); // resolved targets, no scene file needed downstream
    const DesiredState state = session.desired_state(Ms{1000});
    REQUIRE_FALSE(state.scene_fades.empty());
    CHECK(state.scene_fades.back().lights == dim(0.1));

    // The journal's start record keeps the copy; restoring it gives the same targets even
    // though the "library" now says 0.9 (a scene saved mid-session).
    Json start_record;
    for (const auto& e : start)
        if (const auto* j = std::get_if<JournalRecord>(&e.body);
            j && j->record.value("type", "") == "start")
            start_record = j->record;
    REQUIRE(start_record.contains("scenes"));
    JournalContents journal;
    journal.records = {start_record};
    Problems problems("journal");
    auto restored = restore_session(journal, problems);
    INFO(problems.to_string());
    REQUIRE(restored);
    CHECK(restored->session->setup().scenes.at("s1") == dim(0.1));
    CHECK(restored->session->desired_state(Ms{1000}).scene_fades.back().lights == dim(0.1));

    // The next session takes the saved scene: a new setup, a new copy.
    SessionSetup next = setup_from(kThreeHourTemplate, three_hour_playlists());
    next.scenes["s1"] = dim(0.9);
    Session second(next);
    const Effects second_start = second.start();
    const SetScene* s2 = first_scene(second_start);
    REQUIRE(s2);
    CHECK(s2->lights == dim(0.9));
}

TEST_CASE("resolve_scene overlays \"*\" with each light's own entry") {
    Scene scene;
    scene.id = "x";
    scene.lights["*"] = LightTarget{true, 0.3, 2700.0, std::nullopt};
    scene.lights["lamp"] = LightTarget{std::nullopt, 0.6, std::nullopt, Chromaticity{0.5, 0.4}};
    const SceneLights r = resolve_scene(scene, {"ceiling", "lamp"});
    REQUIRE(r.size() == 2);
    CHECK(r.at("ceiling") == LightTarget{true, 0.3, 2700.0, std::nullopt});
    CHECK(r.at("lamp") == LightTarget{true, 0.6, std::nullopt, Chromaticity{0.5, 0.4}});
    // The journal form round-trips.
    CHECK(scene_lights_from_json(to_json(r)) == r);
}

TEST_CASE("a start record without a scene snapshot takes the fallback's scenes and says so") {
    SessionSetup setup = setup_from(kThreeHourTemplate, three_hour_playlists());
    setup.scenes["s1"] = dim(0.1);
    Session session(setup);
    Json start_record;
    for (const auto& e : session.start())
        if (const auto* j = std::get_if<JournalRecord>(&e.body);
            j && j->record.value("type", "") == "start")
            start_record = j->record;
    REQUIRE(start_record.contains("scenes"));
    start_record.erase("scenes"); // as journals were written before sessions kept their scenes
    JournalContents journal;
    journal.records = {start_record};

    Problems problems("journal");
    auto bare = restore_session(journal, problems);
    REQUIRE(bare);
    CHECK_FALSE(bare->scenes_from_library);
    CHECK(bare->session->setup().scenes.empty());
    REQUIRE_FALSE(bare->warnings.empty());

    int asked = 0;
    auto restored = restore_session(journal, problems, [&](const SessionTemplate& t) {
        ++asked;
        CHECK(t.id == setup.tmpl.id);
        return std::map<std::string, SceneLights>{{"s1", dim(0.7)}};
    });
    REQUIRE(restored);
    CHECK(asked == 1);
    CHECK(restored->scenes_from_library);
    CHECK(restored->session->desired_state(Ms{1000}).scene_fades.back().lights == dim(0.7));
    bool warned = false;
    for (const auto& w : restored->warnings)
        warned = warned || w.find("no scene snapshot") != std::string::npos;
    CHECK(warned);

    // A journal with its snapshot never asks the library.
    journal.records.front()["scenes"] = Json::object({{"s1", to_json(dim(0.1))}});
    auto own = restore_session(journal, problems, [&](const SessionTemplate&) {
        ++asked;
        return std::map<std::string, SceneLights>{};
    });
    REQUIRE(own);
    CHECK(asked == 1);
    CHECK_FALSE(own->scenes_from_library);
    CHECK(own->session->desired_state(Ms{1000}).scene_fades.back().lights == dim(0.1));
}
