// Light targets in the journal's JSON form.
#include "engine/light_target.hpp"

namespace stillroom {

Json to_json(const LightTarget& t) {
    Json j = Json::object();
    if (t.on) j["on"] = *t.on;
    if (t.brightness) j["brightness"] = *t.brightness;
    if (t.kelvin) j["kelvin"] = *t.kelvin;
    if (t.color) j["color"] = {{"x", t.color->x}, {"y", t.color->y}};
    if (t.deep) {
        Json d = Json::object();
        if (t.deep->brightness) d["brightness"] = *t.deep->brightness;
        if (t.deep->kelvin) d["kelvin"] = *t.deep->kelvin;
        if (t.deep->color) d["color"] = {{"x", t.deep->color->x}, {"y", t.deep->color->y}};
        j["deep"] = d;
    }
    return j;
}

Json to_json(const SceneLights& lights) {
    Json j = Json::object();
    for (const auto& [id, t] : lights)
        j[id] = to_json(t);
    return j;
}

SceneLights scene_lights_from_json(const Json& j) {
    SceneLights out;
    for (const auto& [id, v] : j.items()) {
        LightTarget t;
        if (v.contains("on")) t.on = v.at("on").get<bool>();
        if (v.contains("brightness")) t.brightness = v.at("brightness").get<double>();
        if (v.contains("kelvin")) t.kelvin = v.at("kelvin").get<double>();
        if (v.contains("color"))
            t.color = Chromaticity{v.at("color").at("x").get<double>(),
                                   v.at("color").at("y").get<double>()};
        if (v.contains("deep")) {
            const Json& d = v.at("deep");
            DeepLight deep;
            if (d.contains("brightness")) deep.brightness = d.at("brightness").get<double>();
            if (d.contains("kelvin")) deep.kelvin = d.at("kelvin").get<double>();
            if (d.contains("color"))
                deep.color = Chromaticity{d.at("color").at("x").get<double>(),
                                          d.at("color").at("y").get<double>()};
            t.deep = deep;
        }
        out[id] = t;
    }
    return out;
}

} // namespace stillroom
