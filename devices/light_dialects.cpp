// Light dialect encoders.
#include "devices/light_dialects.hpp"

#include "engine/json_reader.hpp"
#include "library/light_quirks.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace stillroom {

Ms max_native_transition(const LightConfig& light) {
    switch (light.dialect) {
    case Dialect::Tasmota:
        return Ms{20000}; // Speed2 40 = 20 s with SetOption117
    case Dialect::Simulated:
        return Ms{0};
    case Dialect::Zigbee2Mqtt:
        // Brightness and colour take turns: short turns keep both close to the fade.
        if (has_quirk(light, kQuirkOneTransition)) return Ms{10000};
        return Ms{60000};
    default:
        return Ms{60000};
    }
}

int device_brightness(double perceived, int scale_max) {
    if (perceived <= 0) return 0;
    const double linear = perceived_to_linear(perceived);
    return std::clamp(static_cast<int>(std::lround(linear * scale_max)), 1, scale_max);
}

namespace {
// A kelvin within the light's colour-temperature range (unchanged if it has none).
double kelvin_in_range(const LightConfig& light, double k) {
    return light.kelvin ? std::clamp(k, static_cast<double>(light.kelvin->first),
                                     static_cast<double>(light.kelvin->second))
                        : k;
}
} // namespace

int clamp_mired(const LightConfig& light, double kelvin) {
    return static_cast<int>(std::lround(kelvin_to_mired(kelvin_in_range(light, kelvin))));
}

std::string tasmota_topic(const LightConfig& light, const std::string& prefix,
                          const std::string& command) {
    std::string t = light.full_topic;
    for (std::size_t at = t.find("%prefix%"); at != std::string::npos;
         at = t.find("%prefix%", at + prefix.size()))
        t.replace(at, 8, prefix);
    for (std::size_t at = t.find("%topic%"); at != std::string::npos;
         at = t.find("%topic%", at + light.topic.size()))
        t.replace(at, 7, light.topic);
    if (!t.empty() && t.back() != '/' && !command.empty()) t += '/';
    return t + command;
}

namespace {

double seconds(Ms d) {
    return static_cast<double>(d.count()) / 1000.0;
}

// How a light shows a state's colour, decided once for every dialect: a white (kelvin) on
// its colour temperature if it has one, else as the chromaticity of that white; a colour (xy)
// as xy if it has colour, else as its nearest kelvin on a CT-only light. Kelvin is clamped to
// the light's range; dialects clamp further to what their protocol accepts.
struct ColourPlan {
    enum class Kind { None, Kelvin, Xy } kind = Kind::None;
    double kelvin = 0;
    Chromaticity xy{};
    bool xy_from_kelvin = false;
};

ColourPlan plan_colour(const LightConfig& light, const LightState& s) {
    auto in_range = [&](double k) { return kelvin_in_range(light, k); };
    if (s.kelvin && light.kelvin) return {ColourPlan::Kind::Kelvin, in_range(*s.kelvin), {}, false};
    if (s.kelvin && light.color) return {ColourPlan::Kind::Xy, 0, kelvin_to_xy(*s.kelvin), true};
    if (s.xy && light.color) return {ColourPlan::Kind::Xy, 0, *s.xy, false};
    if (s.xy && light.kelvin)
        return {ColourPlan::Kind::Kelvin, in_range(xy_to_kelvin(*s.xy)), {}, false};
    return {};
}

int mired(double kelvin) {
    return static_cast<int>(std::lround(kelvin_to_mired(kelvin)));
}

// The colour attribute a JSON light gets for a state (plan_colour), and its key. Null: none.
Json colour_json(const LightConfig& light, const LightState& s, std::string& key,
                 const std::string& ct_key) {
    const ColourPlan plan = plan_colour(light, s);
    switch (plan.kind) {
    case ColourPlan::Kind::Kelvin:
        key = ct_key;
        return mired(plan.kelvin);
    case ColourPlan::Kind::Xy:
        key = "color";
        if (plan.xy_from_kelvin)
            return {{"x", std::round(plan.xy.x * 10000) / 10000},
                    {"y", std::round(plan.xy.y * 10000) / 10000}};
        return {{"x", plan.xy.x}, {"y", plan.xy.y}};
    case ColourPlan::Kind::None:
        break;
    }
    return nullptr;
}

// How far a colour attribute moves, as a fraction of its range (mireds over the light's
// range; xy over 0.3). 1 when the previous colour is unknown.
double colour_change(const LightConfig& light, const Json& from, const Json& to) {
    if (from.is_null() || to.is_null() || from.type() != to.type()) return 1;
    if (from.is_number()) {
        const double lo = light.kelvin ? kelvin_to_mired(light.kelvin->second) : 153;
        const double hi = light.kelvin ? kelvin_to_mired(light.kelvin->first) : 500;
        return std::abs(to.get<double>() - from.get<double>()) / std::max(1.0, hi - lo);
    }
    const double dx = to.value("x", 0.0) - from.value("x", 0.0),
                 dy = to.value("y", 0.0) - from.value("y", 0.0);
    return std::sqrt(dx * dx + dy * dy) / 0.3;
}

// Zigbee2MQTT and Home Assistant's JSON schema. Keys carry the endpoint's suffix
// ("state_l1"); `transition` is per message and never suffixed.
LightCommand json_set(const LightConfig& light, const std::optional<LightState>& previous,
                      const LightState& s, Ms transition, int scale) {
    const std::string sfx = light.endpoint.empty() ? "" : "_" + light.endpoint;
    LightCommand out;
    out.heading = s;
    Json j = Json::object();
    j["state" + sfx] = s.on ? "ON" : "OFF";
    const bool z2m = light.dialect == Dialect::Zigbee2Mqtt;
    std::string key, prev_key;
    Json colour = s.on ? colour_json(light, s, key, "color_temp") : Json(nullptr);
    const Json prev_colour =
        previous ? colour_json(light, *previous, prev_key, "color_temp") : Json(nullptr);
    // Zigbee2MQTT: colour only when it changes (a repeated color_temp is a second Zigbee
    // command that can cancel the brightness transition, light_quirks.cpp).
    if (z2m && !colour.is_null() && prev_key == key && prev_colour == colour) colour = nullptr;
    const bool has_brightness = s.on && light.brightness;
    const int bri = has_brightness ? device_brightness(s.brightness, scale) : 0;
    bool send_brightness = has_brightness;
    if (z2m && has_quirk(light, kQuirkOneTransition) && transition > Ms{0} && has_brightness &&
        !colour.is_null()) {
        // One attribute per command: the one further from its target now, the other next.
        const bool known = previous && previous->on;
        const double bri_change =
            known ? std::abs(bri - device_brightness(previous->brightness, scale)) / double(scale)
                  : 1.0;
        if (bri_change > 0 && bri_change >= colour_change(light, prev_colour, colour)) {
            colour = nullptr;
            out.heading.kelvin = previous ? previous->kelvin : std::nullopt;
            out.heading.xy = previous ? previous->xy : std::nullopt;
        } else {
            send_brightness = false;
            out.heading.brightness = known ? previous->brightness : 0;
            if (!known) out.heading.on = false; // the brightness still to come is unknown
        }
    }
    if (send_brightness) j["brightness" + sfx] = bri;
    if (!colour.is_null()) j[key + sfx] = colour;
    if (light.transition) j["transition"] = std::round(seconds(transition) * 10) / 10;
    out.messages.push_back({light.topic + "/set", dump_json(j), 1, false});
    return out;
}

// Tasmota: one Backlog0 command (topic cmnd/TOPIC/Backlog0, the list as its payload: no
// 200 ms gaps), so every change lands in one light update that
// the one-shot Speed2 fades as a whole, at a fixed duration (SetOption117). Dimmer turns
// the light on by itself; Power ON would first restore the old level (light_quirks.cpp).
LightCommand tasmota_set(const LightConfig& light, const LightState& s, Ms transition) {
    std::string cmd;
    if (light.transition) {
        if (transition > Ms{0}) {
            const int speed =
                std::clamp(static_cast<int>(std::lround(seconds(transition) * 2)), 1, 40);
            cmd += "SetOption117 1;Fade2 1;Speed2 " + std::to_string(speed) + ";";
        } else {
            cmd += "Fade2 0;";
        }
    }
    if (!s.on) {
        cmd += "Power OFF";
    } else {
        if (light.brightness) {
            const int pct = std::clamp(
                static_cast<int>(std::lround(perceived_to_linear(s.brightness) * 100)), 1, 100);
            cmd += "Dimmer " + std::to_string(pct);
        } else {
            cmd += "Power ON";
        }
        const ColourPlan plan = plan_colour(light, s);
        if (plan.kind == ColourPlan::Kind::Kelvin) {
            cmd += ";CT " + std::to_string(std::clamp(mired(plan.kelvin), 153, 500));
        } else if (plan.kind == ColourPlan::Kind::Xy) {
            const Rgb c = xy_to_rgb(plan.xy);
            char buf[40];
            std::snprintf(buf, sizeof buf, ";Color2 %d,%d,%d", c.r, c.g, c.b);
            cmd += buf;
        }
    }
    return {{{tasmota_topic(light, "cmnd", "Backlog0"), cmd, 1, false}}, s};
}

// WLED's JSON API over MQTT. cct alone only tints the white channel: the segment's colour
// is set to white with it; kelvin is clamped to what cct accepts (light_quirks.cpp).
LightCommand wled_set(const LightConfig& light, const LightState& s, Ms transition) {
    Json j = Json::object();
    j["on"] = s.on;
    if (s.on && light.brightness) j["bri"] = device_brightness(s.brightness, 255);
    if (light.transition)
        j["tt"] = std::clamp(static_cast<long>(std::lround(seconds(transition) * 10)), 0L, 65535L);
    const ColourPlan plan = s.on ? plan_colour(light, s) : ColourPlan{};
    if (plan.kind == ColourPlan::Kind::Kelvin) {
        const double k = std::clamp(plan.kelvin, 1900.0, 10091.0);
        j["seg"] = Json::array({{{"cct", static_cast<int>(std::lround(k))},
                                 {"col", Json::array({Json::array({255, 255, 255, 255})})}}});
    } else if (plan.kind == ColourPlan::Kind::Xy) {
        const Rgb c = xy_to_rgb(plan.xy);
        j["seg"] = Json::array({{{"col", Json::array({Json::array({c.r, c.g, c.b})})}}});
    }
    return {{{light.topic + "/api", dump_json(j), 1, false}}, s};
}

} // namespace

LightCommand encode_light_change(const LightConfig& light,
                                 const std::optional<LightState>& previous, const LightState& s,
                                 Ms transition) {
    switch (light.dialect) {
    case Dialect::Zigbee2Mqtt:
        return json_set(light, previous, s, transition, 254);
    case Dialect::HomeAssistant:
        return json_set(light, previous, s, transition, 255);
    case Dialect::Tasmota:
        return tasmota_set(light, s, transition);
    case Dialect::Wled:
        return wled_set(light, s, transition);
    case Dialect::Simulated:
        return {{}, s};
    }
    return {{}, s};
}

std::vector<MqttMessage> encode_light(const LightConfig& light, const LightState& s,
                                      Ms transition) {
    return encode_light_change(light, std::nullopt, s, transition).messages;
}

std::string availability_topic(const LightConfig& light) {
    switch (light.dialect) {
    case Dialect::Zigbee2Mqtt:
        return light.topic + "/availability";
    case Dialect::HomeAssistant:
        return light.topic + "/availability";
    case Dialect::Tasmota:
        return tasmota_topic(light, "tele", "LWT");
    case Dialect::Wled:
        return light.topic + "/status";
    case Dialect::Simulated:
        return "";
    }
    return "";
}

std::optional<bool> parse_availability(const std::string& payload) {
    std::string p = payload;
    if (!p.empty() && p.front() == '{') {
        Json j = parse_json_or_discarded(p);
        if (j.is_discarded() || !j.is_object() || !j.contains("state") || !j["state"].is_string())
            return std::nullopt;
        p = j["state"].get<std::string>();
    }
    for (char& c : p)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (p == "online") return true;
    if (p == "offline") return false;
    return std::nullopt;
}

} // namespace stillroom
