// Light dialect encoders.
#include "devices/light_dialects.hpp"

#include "engine/json_reader.hpp"

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstdio>

namespace stillroom {

Ms max_native_transition(Dialect d) {
    switch (d) {
    case Dialect::Tasmota: return Ms{20000}; // Speed2 40 = 20 s
    case Dialect::Simulated: return Ms{0};
    default: return Ms{60000};
    }
}

int device_brightness(double perceived, int scale_max) {
    if (perceived <= 0) return 0;
    const double linear = perceived_to_linear(perceived);
    return std::clamp(static_cast<int>(std::lround(linear * scale_max)), 1, scale_max);
}

int clamp_mired(const LightConfig& light, double kelvin) {
    double k = kelvin;
    if (light.kelvin) k = std::clamp(k, static_cast<double>(light.kelvin->first), static_cast<double>(light.kelvin->second));
    return static_cast<int>(std::lround(kelvin_to_mired(k)));
}

namespace {

double seconds(Ms d) { return static_cast<double>(d.count()) / 1000.0; }

// What colour the light can show: its kelvin if it has CT, xy if it has colour.
void add_colour_json(Json& j, const LightConfig& light, const LightState& s, const char* ct_key) {
    if (s.kelvin && light.kelvin) {
        j[ct_key] = clamp_mired(light, *s.kelvin);
    } else if (s.kelvin && light.color) {
        const Chromaticity c = kelvin_to_xy(*s.kelvin);
        j["color"] = {{"x", std::round(c.x * 10000) / 10000}, {"y", std::round(c.y * 10000) / 10000}};
    } else if (s.xy && light.color) {
        j["color"] = {{"x", s.xy->x}, {"y", s.xy->y}};
    } else if (s.xy && light.kelvin) {
        j[ct_key] = clamp_mired(light, xy_to_kelvin(*s.xy));
    }
}

std::vector<MqttMessage> json_set(const LightConfig& light, const LightState& s, Ms transition, int scale) {
    Json j = Json::object();
    j["state"] = s.on ? "ON" : "OFF";
    if (s.on && light.brightness) j["brightness"] = device_brightness(s.brightness, scale);
    if (s.on) add_colour_json(j, light, s, "color_temp");
    if (light.transition) j["transition"] = std::round(seconds(transition) * 10) / 10;
    return {{light.topic + "/set", dump_json(j), 1, false}};
}

} // namespace

std::vector<MqttMessage> encode_light(const LightConfig& light, const LightState& s, Ms transition) {
    switch (light.dialect) {
    case Dialect::Zigbee2Mqtt: return json_set(light, s, transition, 254);
    case Dialect::HomeAssistant: return json_set(light, s, transition, 255);
    case Dialect::Tasmota: {
        std::string cmd;
        if (light.transition) {
            const int speed = std::clamp(static_cast<int>(std::lround(seconds(transition) * 2)), 1, 40);
            cmd += "Speed2 " + std::to_string(speed) + ";";
        }
        if (!s.on) {
            cmd += "Power OFF";
        } else {
            cmd += "Power ON";
            if (light.brightness) {
                const int pct = std::clamp(static_cast<int>(std::lround(perceived_to_linear(s.brightness) * 100)), 1, 100);
                cmd += ";Dimmer " + std::to_string(pct);
            }
            if (s.kelvin && light.kelvin) {
                cmd += ";CT " + std::to_string(std::clamp(clamp_mired(light, *s.kelvin), 153, 500));
            } else if (s.xy && light.color) {
                const Rgb c = xy_to_rgb(*s.xy);
                char buf[40];
                std::snprintf(buf, sizeof buf, ";Color2 %d,%d,%d", c.r, c.g, c.b);
                cmd += buf;
            }
        }
        return {{"cmnd/" + light.topic + "/Backlog", cmd, 1, false}};
    }
    case Dialect::Wled: {
        Json j = Json::object();
        j["on"] = s.on;
        if (s.on && light.brightness) j["bri"] = device_brightness(s.brightness, 255);
        if (light.transition) j["tt"] = std::clamp(static_cast<long>(std::lround(seconds(transition) * 10)), 0L, 65535L);
        if (s.on && s.kelvin && light.kelvin) {
            const double k = std::clamp(*s.kelvin, static_cast<double>(light.kelvin->first), static_cast<double>(light.kelvin->second));
            j["seg"] = Json::array({{{"cct", static_cast<int>(std::lround(k))}}});
        } else if (s.on && (s.xy || s.kelvin) && light.color) {
            const Rgb c = xy_to_rgb(s.xy ? *s.xy : kelvin_to_xy(*s.kelvin));
            j["seg"] = Json::array({{{"col", Json::array({Json::array({c.r, c.g, c.b})})}}});
        }
        return {{light.topic + "/api", dump_json(j), 1, false}};
    }
    case Dialect::Simulated: return {};
    }
    return {};
}

std::string availability_topic(const LightConfig& light) {
    switch (light.dialect) {
    case Dialect::Zigbee2Mqtt: return light.topic + "/availability";
    case Dialect::HomeAssistant: return light.topic + "/availability";
    case Dialect::Tasmota: return "tele/" + light.topic + "/LWT";
    case Dialect::Wled: return light.topic + "/status";
    case Dialect::Simulated: return "";
    }
    return "";
}

std::optional<bool> parse_availability(const std::string& payload) {
    std::string p = payload;
    if (!p.empty() && p.front() == '{') {
        Json j = parse_json_or_discarded(p);
        if (j.is_discarded() || !j.is_object() || !j.contains("state") || !j["state"].is_string()) return std::nullopt;
        p = j["state"].get<std::string>();
    }
    for (char& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (p == "online") return true;
    if (p == "offline") return false;
    return std::nullopt;
}

} // namespace stillroom
