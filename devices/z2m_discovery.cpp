// Zigbee2MQTT discovery. The format is Z2M's `bridge/devices` (definition.exposes, as
// zigbee-herdsman-converters src/lib/exposes.ts builds them: a feature `withEndpoint("l1")`
// gets "endpoint":"l1" and a "property" suffixed "_l1").
#include "devices/z2m_discovery.hpp"

#include "library/light_quirks.hpp"

#include <cctype>
#include <cmath>
#include <set>

namespace stillroom {

namespace {

constexpr std::size_t kMaxDevices = 2000; // a Zigbee network is far smaller
constexpr std::size_t kMaxExposes = 500;  // per device
constexpr int kMaxDepth = 6;              // nested "features"

// Collects the features of one "light" expose (they may be nested).
void light_features(const Json& expose, Json& features, int depth) {
    if (!expose.is_object() || depth > kMaxDepth) return;
    if (expose.contains("name") && expose["name"].is_string()) features.push_back(expose);
    if (expose.contains("features") && expose["features"].is_array()) {
        std::size_t n = 0;
        for (const auto& f : expose["features"])
            if (++n <= kMaxExposes) light_features(f, features, depth + 1);
    }
}

// The light exposes of a device: each top-level expose of type "light" (one per endpoint).
std::vector<const Json*> light_exposes(const Json& exposes) {
    std::vector<const Json*> out;
    std::size_t n = 0;
    for (const auto& e : exposes) {
        if (++n > kMaxExposes) break;
        if (e.is_object() && e.value("type", "") == "light") out.push_back(&e);
    }
    return out;
}

std::string make_id(const std::string& name, std::set<std::string>& used) {
    std::string id;
    for (char c : name) {
        const unsigned char u = static_cast<unsigned char>(c);
        id += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-';
    }
    while (id.find("--") != std::string::npos)
        id.erase(id.find("--"), 1);
    while (!id.empty() && id.front() == '-')
        id.erase(0, 1);
    while (!id.empty() && id.back() == '-')
        id.pop_back();
    if (id.empty()) id = "light";
    if (id.size() > 48) id.resize(48);
    std::string unique = id;
    for (int n = 2; used.count(unique); ++n)
        unique = id + "-" + std::to_string(n);
    used.insert(unique);
    return unique;
}

// A device's exposes when it is a named, non-coordinator device with a definition.
const Json* device_exposes(const Json& d) {
    if (!d.is_object() || d.value("type", "") == "Coordinator") return nullptr;
    if (!d.contains("definition") || !d["definition"].is_object()) return nullptr;
    const Json& def = d["definition"];
    if (!def.contains("exposes") || !def["exposes"].is_array()) return nullptr;
    return &def["exposes"];
}

bool check_array(const Json& devices, Problems& problems) {
    if (!devices.is_array()) {
        problems.error("", "expected the bridge/devices array, got " + describe_json(devices));
        return false;
    }
    if (devices.size() > kMaxDevices)
        problems.warning("", "more than " + std::to_string(kMaxDevices) +
                                 " devices; the rest were skipped");
    return true;
}

} // namespace

Json lights_from_z2m_devices(const Json& devices, const std::string& base_topic,
                             Problems& problems) {
    Json out = Json::array();
    if (!check_array(devices, problems)) return out;
    std::set<std::string> used;
    for (std::size_t i = 0; i < devices.size() && i < kMaxDevices; ++i) {
        const Json& d = devices[i];
        const Json* exposes = device_exposes(d);
        if (!exposes) continue;
        const auto lights = light_exposes(*exposes);
        if (lights.empty()) continue; // not a light
        if (!d.contains("friendly_name") || !d["friendly_name"].is_string()) {
            problems.warning(json_path_index("", i), "a light without a friendly_name; skipped");
            continue;
        }
        const std::string name = d["friendly_name"].get<std::string>();
        const std::string vendor = d["definition"].value("vendor", "");
        std::set<std::string> endpoints;
        for (const Json* expose : lights) {
            std::string endpoint = expose->value("endpoint", "");
            if (!endpoints.insert(endpoint).second) continue; // the same endpoint twice: one light
            Json light = {{"id", make_id(endpoint.empty() ? name : name + "-" + endpoint, used)},
                          {"name", endpoint.empty() ? name : name + " (" + endpoint + ")"},
                          {"dialect", "zigbee2mqtt"},
                          {"topic", base_topic + "/" + name},
                          {"brightness", false},
                          {"kelvin", false},
                          {"color", false},
                          {"transition", true},
                          {"max_rate_hz", 2}};
            if (!endpoint.empty()) light["endpoint"] = endpoint;
            Json features = Json::array();
            light_features(*expose, features, 0);
            for (const auto& f : features) {
                const std::string fname = f["name"].get<std::string>();
                if (fname == "brightness") light["brightness"] = true;
                if (fname == "color_xy" || fname == "color_hs") light["color"] = true;
                if (fname == "color_temp") {
                    const double min_mired = f.value("value_min", 153.0);
                    const double max_mired = f.value("value_max", 500.0);
                    if (min_mired > 0 && max_mired > min_mired)
                        light["kelvin"] =
                            Json::array({static_cast<int>(std::lround(1e6 / max_mired)),
                                         static_cast<int>(std::lround(1e6 / min_mired))});
                }
            }
            const auto quirks = z2m_vendor_quirks(vendor);
            if (!quirks.empty()) light["quirks"] = quirks;
            out.push_back(light);
        }
    }
    return out;
}

std::vector<PowerOnTarget> z2m_power_on_targets(const Json& devices, const std::string& base_topic,
                                                std::vector<std::string>& cannot,
                                                Problems& problems) {
    std::vector<PowerOnTarget> out;
    if (!check_array(devices, problems)) return out;
    for (std::size_t i = 0; i < devices.size() && i < kMaxDevices; ++i) {
        const Json& d = devices[i];
        const Json* exposes = device_exposes(d);
        if (!exposes || light_exposes(*exposes).empty()) continue;
        if (!d.contains("friendly_name") || !d["friendly_name"].is_string()) continue;
        PowerOnTarget t;
        t.friendly_name = d["friendly_name"].get<std::string>();
        t.topic = base_topic + "/" + t.friendly_name;
        std::size_t n = 0;
        for (const auto& e : *exposes) {
            if (++n > kMaxExposes) break;
            if (!e.is_object() || e.value("name", "") != "power_on_behavior") continue;
            const int access = e.value("access", 0);
            if (!(access & 2)) continue; // not settable (exposes.ts access.SET = 2)
            t.properties.push_back(e.value("property", "power_on_behavior"));
            if (t.values.empty() && e.contains("values") && e["values"].is_array())
                for (const auto& v : e["values"])
                    if (v.is_string() && t.values.size() < 16)
                        t.values.push_back(v.get<std::string>());
        }
        if (t.properties.empty())
            cannot.push_back(t.friendly_name);
        else
            out.push_back(std::move(t));
    }
    return out;
}

} // namespace stillroom
