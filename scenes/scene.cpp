// Scene files.
#include "scenes/scene.hpp"

#include "engine/template.hpp"

namespace stillroom {

namespace {

std::optional<Chromaticity> read_color(ObjectReader& obj) {
    auto c = obj.object("color");
    if (!c) return std::nullopt;
    auto x = c->number("x", Need::Required, 0, 0.8);
    auto y = c->number("y", Need::Required, 0.0001, 0.9);
    std::optional<Chromaticity> out;
    if (x && y) {
        if (*x + *y > 1.0)
            obj.problems().error(c->path(), "x + y must not exceed 1");
        else
            out = Chromaticity{*x, *y};
    }
    c->finish();
    return out;
}

// "deep": {"brightness"?, "kelvin"?, "color"?}: the light's values at depth 1.
void read_deep(ObjectReader& light, LightTarget& t) {
    auto d = light.object("deep");
    if (!d) return;
    DeepLight deep;
    deep.brightness = d->number("brightness", Need::Optional, 0, 1);
    deep.kelvin = d->number("kelvin", Need::Optional, 1000, 10000);
    deep.color = read_color(*d);
    if (d->has("kelvin") && d->has("color"))
        light.problems().error(d->path(), "give either \"kelvin\" or \"color\", not both");
    if (!d->has("brightness") && !d->has("kelvin") && !d->has("color") && d->is_object())
        light.problems().error(d->path(), "expected at least one of brightness, kelvin, color");
    if (t.on == false)
        light.problems().error(d->path(), "the light is off: it has no depth to follow");
    d->finish();
    t.deep = deep;
}

} // namespace

std::optional<LightTarget> Scene::target_for(const std::string& light_id) const {
    std::optional<LightTarget> out;
    if (auto all = lights.find("*"); all != lights.end()) out = all->second;
    if (auto own = lights.find(light_id); own != lights.end()) {
        if (!out) out = LightTarget{};
        const LightTarget& o = own->second;
        if (o.on) out->on = o.on;
        if (o.brightness) out->brightness = o.brightness;
        if (o.kelvin) {
            out->kelvin = o.kelvin;
            out->color.reset();
        }
        if (o.color) {
            out->color = o.color;
            out->kelvin.reset();
        }
        if (o.deep) out->deep = o.deep;
    }
    return out;
}

std::optional<Scene> load_scene(const Json& json, const std::string& id, Problems& problems,
                                const std::set<std::string>* light_ids) {
    const auto errors_before = problems.error_count();
    ObjectReader root(json, "", problems);
    if (!root.is_object()) return std::nullopt;
    Scene scene;
    scene.id = id;
    scene.name = root.string("name").value_or(id);
    scene.fade = root.duration("fade");
    if (auto lights = root.object("lights", Need::Required)) {
        for (const auto& [light, value] : json.at("lights").items()) {
            lights->get(light); // every key is a light id, not a typo of a known key
            const std::string path = json_path_key("lights", light);
            if (light != "*" && light_ids && !light_ids->count(light)) {
                problems.error(path, "no light \"" + light + "\" in room.json lights");
            }
            ObjectReader l(value, path, problems);
            if (!l.is_object()) continue;
            LightTarget t;
            t.on = l.boolean("on");
            t.brightness = l.number("brightness", Need::Optional, 0, 1);
            t.kelvin = l.number("kelvin", Need::Optional, 1000, 10000);
            if (auto c = l.object("color")) {
                auto x = c->number("x", Need::Required, 0, 0.8);
                auto y = c->number("y", Need::Required, 0.0001, 0.9);
                if (x && y) {
                    if (*x + *y > 1.0) problems.error(c->path(), "x + y must not exceed 1");
                    t.color = Chromaticity{*x, *y};
                }
                c->finish();
            }
            if (l.has("kelvin") && l.has("color"))
                problems.error(path, "give either \"kelvin\" or \"color\", not both");
            read_deep(l, t);
            if (!t.on && !t.brightness && !t.kelvin && !t.color && l.is_object())
                problems.error(path, "expected at least one of on, brightness, kelvin, color");
            if (t.on == false && (t.brightness || t.kelvin || t.color))
                problems.warning(path, "the light is off; its brightness and colour are ignored");
            l.finish();
            scene.lights[light] = t;
        }
        lights->finish();
    }
    root.finish();
    if (problems.error_count() != errors_before) return std::nullopt;
    return scene;
}

SceneLights resolve_scene(const Scene& scene, const std::set<std::string>& light_ids) {
    SceneLights out;
    for (const auto& id : light_ids)
        if (auto t = scene.target_for(id)) out[id] = *t;
    return out;
}

Scene bright_scene() {
    Scene s;
    s.id = kBrightScene;
    s.name = "Lights up";
    s.fade = std::chrono::seconds{3};
    s.lights["*"] = LightTarget{true, 1.0, 4000.0, std::nullopt};
    return s;
}

} // namespace stillroom
