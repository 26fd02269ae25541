// Light follows depth (docs/scenes.md "Depth"): a scene light's "deep" values are checked,
// interpolated perceptually at the session's depth (L* brightness, mireds, CIE xy), carried
// in the journal's snapshot, and followed by the lights driver over the music's ramp.
#include "fake_mqtt.hpp"
#include "lights_support.hpp"

#include "devices/lights_driver.hpp"
#include "scenes/colour.hpp"
#include "scenes/light_depth.hpp"
#include "scenes/scene.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace stillroom;
using namespace stillroom::test;
using namespace std::chrono_literals;

namespace {

LightConfig depth_light(const std::string& id, Dialect d) {
    LightConfig c;
    c.id = id;
    c.name = id;
    c.dialect = d;
    c.topic = "zigbee2mqtt/room1/" + id;
    c.brightness = true;
    c.kelvin = std::pair{2000, 6500};
    c.color = true;
    c.transition = true;
    c.max_rate_hz = 2;
    return c;
}

LightTarget deep_target(double b, double k, double deep_b, double deep_k) {
    LightTarget t{true, b, k, std::nullopt};
    t.deep = DeepLight{deep_b, deep_k, std::nullopt};
    return t;
}

} // namespace

TEST_CASE("light depth: a scene's \"deep\" values are checked, naming the field") {
    struct Row {
        const char* name;
        const char* light;
        const char* path; // "" = accepted
        const char* fragment;
    };
    const Row rows[] = {
        {"the issue's example",
         R"({"on": true, "brightness": 0.3, "kelvin": 2700, "deep": {"brightness": 0.05, "kelvin": 2000}})",
         "", ""},
        {"colour too",
         R"({"on": true, "brightness": 0.3, "color": {"x": 0.5, "y": 0.4}, "deep": {"color": {"x": 0.56, "y": 0.4}}})",
         "", ""},
        {"deep brightness above 1", R"({"brightness": 0.3, "deep": {"brightness": 1.5}})",
         R"(lights["*"].deep.brightness)", "1.5"},
        {"deep kelvin and colour",
         R"({"kelvin": 2700, "deep": {"kelvin": 2000, "color": {"x": 0.5, "y": 0.4}}})",
         R"(lights["*"].deep)", "not both"},
        {"an empty deep", R"({"brightness": 0.3, "deep": {}})", R"(lights["*"].deep)",
         "at least one"},
        {"deep colour with x + y over 1",
         R"({"brightness": 0.3, "deep": {"color": {"x": 0.6, "y": 0.5}}})",
         R"(lights["*"].deep.color)", "x + y"},
        {"a typo in deep", R"({"brightness": 0.3, "deep": {"brightnes": 0.1}})",
         R"(lights["*"].deep.brightnes)", ""},
        {"an off light has no depth", R"({"on": false, "deep": {"brightness": 0.1}})",
         R"(lights["*"].deep)", "off"},
    };
    for (const auto& row : rows) {
        const std::string name = row.name;
        CAPTURE(name);
        Problems problems("scenes/s.json");
        const auto scene = load_scene(
            Json::parse(std::string(R"({"lights": {"*": )") + row.light + "}}"), "s", problems);
        const std::string report = problems.to_string();
        CAPTURE(report);
        if (std::string(row.path).empty()) {
            REQUIRE(scene);
            CHECK(scene->lights.at("*").deep.has_value());
        } else {
            CHECK_FALSE(scene.has_value());
            CHECK(has_problem(problems, row.path, row.fragment));
        }
    }
}

TEST_CASE("light depth: the target at a depth, perceptually between base and deep") {
    const double m2700 = kelvin_to_mired(2700), m2000 = kelvin_to_mired(2000);
    struct Row {
        double depth;
        double brightness, kelvin;
    };
    // brightness linear in perceived brightness; colour temperature linear in mireds.
    const Row rows[] = {
        {0, 0.3, 2700},    {0.5, 0.175, mired_to_kelvin((m2700 + m2000) / 2)}, // 2297 K, not 2350 K
        {1, 0.05, 2000},   {0.25, 0.2375, mired_to_kelvin(m2700 + (m2000 - m2700) * 0.25)},
        {1.7, 0.05, 2000}, // clamped
        {-0.3, 0.3, 2700},
    };
    const LightTarget t = deep_target(0.3, 2700, 0.05, 2000);
    for (const auto& row : rows) {
        CAPTURE(row.depth);
        const LightTarget at = at_depth(t, row.depth);
        CHECK_FALSE(at.deep.has_value());
        CHECK(at.on == true);
        REQUIRE(at.brightness);
        REQUIRE(at.kelvin);
        CHECK(*at.brightness == doctest::Approx(row.brightness));
        CHECK(*at.kelvin == doctest::Approx(row.kelvin));
    }
    CHECK(mired_to_kelvin((m2700 + m2000) / 2) == doctest::Approx(2297.9).epsilon(0.001));

    // Colour to colour: linear in xy. Kelvin to colour: meet in xy (the kelvin's locus point).
    LightTarget c{true, 0.2, std::nullopt, Chromaticity{0.50, 0.40}};
    c.deep = DeepLight{std::nullopt, std::nullopt, Chromaticity{0.56, 0.38}};
    const LightTarget half = at_depth(c, 0.5);
    REQUIRE(half.color);
    CHECK(half.color->x == doctest::Approx(0.53));
    CHECK(half.color->y == doctest::Approx(0.39));
    CHECK(*half.brightness == doctest::Approx(0.2)); // no deep brightness: unchanged
    LightTarget k{true, 0.2, 2700.0, std::nullopt};
    k.deep = DeepLight{std::nullopt, std::nullopt, Chromaticity{0.56, 0.38}};
    const Chromaticity locus = kelvin_to_xy(2700);
    const LightTarget mixed = at_depth(k, 0.5);
    REQUIRE(mixed.color);
    CHECK_FALSE(mixed.kelvin);
    CHECK(mixed.color->x == doctest::Approx((locus.x + 0.56) / 2));
    CHECK(at_depth(k, 0) == LightTarget{true, 0.2, 2700.0, std::nullopt}); // exactly the base
    // A target without deep is itself at every depth.
    const LightTarget plain{true, 0.4, 3000.0, std::nullopt};
    CHECK(at_depth(plain, 0.8) == plain);
}

TEST_CASE("light depth: the journal's snapshot carries \"deep\"") {
    SceneLights lights;
    lights["a"] = deep_target(0.3, 2700, 0.05, 2000);
    lights["b"] = LightTarget{true, 0.2, std::nullopt, Chromaticity{0.5, 0.4}};
    lights["b"].deep = DeepLight{0.1, std::nullopt, Chromaticity{0.56, 0.38}};
    lights["c"] = LightTarget{false, std::nullopt, std::nullopt, std::nullopt};
    CHECK(scene_lights_from_json(to_json(lights)) == lights);
    // A light's own entry keeps its deep over "*"'s; "*"'s deep reaches the others.
    Problems problems("scenes/s.json");
    const auto scene = load_scene(Json::parse(R"({"lights": {
        "*": {"on": true, "brightness": 0.3, "deep": {"brightness": 0.1}},
        "lamp": {"kelvin": 2700, "deep": {"kelvin": 2000}}}})"),
                                  "s", problems, nullptr);
    REQUIRE(scene);
    const auto resolved_lights = resolve_scene(*scene, {"lamp", "strip"});
    CHECK(resolved_lights.at("strip").deep == DeepLight{0.1, std::nullopt, std::nullopt});
    CHECK(resolved_lights.at("lamp").deep == DeepLight{std::nullopt, 2000.0, std::nullopt});
}

TEST_CASE("light depth: the driver moves a deep light with the depth, over the music's ramp") {
    FakeMqtt mqtt;
    ManualClock clock;
    ManualDeviceClock device_clock;
    LightsDriverOptions o;
    o.lights = {depth_light("deep", Dialect::Simulated), depth_light("plain", Dialect::Simulated)};
    LightsDriver driver(o, &mqtt, clock, device_clock);
    SceneLights scene;
    scene["deep"] = deep_target(0.3, 2700, 0.05, 2000);
    scene["plain"] = LightTarget{true, 0.4, 3000.0, std::nullopt};
    const MonoTime t0 = clock.now();
    driver.apply({Ms{0}, SetScene{"calm", 0s, scene}}, t0);
    auto now = driver.current();
    CHECK(now.at("deep").brightness == doctest::Approx(0.3));
    // Depth 1 over 4 s: half-way (S-curve) at 2 s, there at 4 s; the plain light stays.
    driver.apply({Ms{0}, SetDepth{1.0, 4s}}, t0 + 1s);
    clock.advance_by(3s);
    now = driver.current();
    CHECK(now.at("deep").brightness == doctest::Approx(0.175));
    CHECK(*now.at("deep").kelvin ==
          doctest::Approx(mired_to_kelvin((kelvin_to_mired(2700) + kelvin_to_mired(2000)) / 2)));
    CHECK(now.at("plain").brightness == doctest::Approx(0.4));
    clock.advance_by(2s);
    now = driver.current();
    CHECK(now.at("deep").brightness == doctest::Approx(0.05));
    CHECK(*now.at("deep").kelvin == doctest::Approx(2000));
    CHECK(driver.depth() == doctest::Approx(1));
    // A new scene arrives at the depth in force: its own deep values.
    SceneLights next;
    next["deep"] = deep_target(0.6, 4000, 0.2, 2200);
    driver.apply({Ms{0}, SetScene{"next", 0s, next}}, clock.now());
    CHECK(driver.current().at("deep").brightness == doctest::Approx(0.2));
    // A restart (reconcile) brings the depth back from the desired state.
    LightsDriver again(o, &mqtt, clock, device_clock);
    DesiredState state;
    state.t = Ms{60'000};
    state.depth_target = 0.5;
    state.scene_fades = {SceneFade{"calm", Ms{0}, Ms{0}, scene}};
    again.reconcile(state, clock.now());
    CHECK(again.current().at("deep").brightness == doctest::Approx(0.175));
    CHECK(again.current().at("plain").brightness == doctest::Approx(0.4));
}
