// Zigbee2MQTT discovery.
#include "devices/z2m_discovery.hpp"

#include <cctype>
#include <cmath>
#include <set>

namespace stillroom {

namespace {

// Collects the features of every "light" expose (they may be nested).
void light_features(const Json& expose, bool in_light, Json& features) {
    if (!expose.is_object()) return;
    const bool light = in_light || expose.value("type", "") == "light";
    if (light && expose.contains("name") && expose["name"].is_string()) features.push_back(expose);
    if (expose.contains("features") && expose["features"].is_array())
        for (const auto& f : expose["features"]) light_features(f, light, features);
}

std::string make_id(const std::string& name, std::set<std::string>& used) {
    std::string id;
    for (char c : name) {
        const unsigned char u = static_cast<unsigned char>(c);
        id += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-';
    }
    while (id.find("--") != std::string::npos) id.erase(id.find("--"), 1);
    while (!id.empty() && id.front() == '-') id.erase(0, 1);
    while (!id.empty() && id.back() == '-') id.pop_back();
    if (id.empty()) id = "light";
    if (id.size() > 48) id.resize(48);
    std::string unique = id;
    for (int n = 2; used.count(unique); ++n) unique = id + "-" + std::to_string(n);
    used.insert(unique);
    return unique;
}

} // namespace

Json lights_from_z2m_devices(const Json& devices, const std::string& base_topic, Problems& problems) {
    Json out = Json::array();
    if (!devices.is_array()) {
        problems.error("", "expected the bridge/devices array, got " + describe_json(devices));
        return out;
    }
    std::set<std::string> used;
    for (std::size_t i = 0; i < devices.size(); ++i) {
        const Json& d = devices[i];
        if (!d.is_object()) continue;
        if (d.value("type", "") == "Coordinator") continue;
        const Json* definition = d.contains("definition") && d["definition"].is_object() ? &d["definition"] : nullptr;
        if (!definition || !definition->contains("exposes") || !(*definition)["exposes"].is_array()) continue;
        Json features = Json::array();
        for (const auto& e : (*definition)["exposes"]) light_features(e, false, features);
        if (features.empty()) continue; // not a light
        if (!d.contains("friendly_name") || !d["friendly_name"].is_string()) {
            problems.warning(json_path_index("", i), "a light without a friendly_name; skipped");
            continue;
        }
        const std::string name = d["friendly_name"].get<std::string>();
        Json light = {{"id", make_id(name, used)},
                      {"name", name},
                      {"dialect", "zigbee2mqtt"},
                      {"topic", base_topic + "/" + name},
                      {"brightness", false},
                      {"kelvin", false},
                      {"color", false},
                      {"transition", true},
                      {"max_rate_hz", 2}};
        for (const auto& f : features) {
            const std::string fname = f["name"].get<std::string>();
            if (fname == "brightness") light["brightness"] = true;
            if (fname == "color_xy" || fname == "color_hs") light["color"] = true;
            if (fname == "color_temp") {
                const double min_mired = f.value("value_min", 153.0);
                const double max_mired = f.value("value_max", 500.0);
                if (min_mired > 0 && max_mired > min_mired)
                    light["kelvin"] = Json::array({static_cast<int>(std::lround(1e6 / max_mired)),
                                                   static_cast<int>(std::lround(1e6 / min_mired))});
            }
        }
        out.push_back(light);
    }
    return out;
}

} // namespace stillroom
