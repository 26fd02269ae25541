// Home Assistant MQTT discovery for one room (see the header for the references).
#include "control/ha_discovery.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <set>

namespace stillroom {

namespace {

struct Entity {
    const char* component; // HA's platform: sensor, button, switch, select
    const char* object;    // the topic's object id and the tail of unique_id / entity id
    const char* name;
};

// No object here is what follows an '_' in another ("lights_up" but no "up"), so
// "stillroom_" + room + "_" + object is unique for every (room, object): tested.
constexpr Entity kSensors[] = {{"sensor", "phase", "Phase"},
                               {"sensor", "since_dose", "Time since dose"},
                               {"sensor", "now_playing", "Now playing"}};
constexpr Entity kButtons[] = {{"button", "start", "Start session"},
                               {"button", "next", "Next phase"},
                               {"button", "hold", "Hold"},
                               {"button", "resume", "Resume"}};
constexpr Entity kSwitches[] = {{"switch", "comfort", "Comfort"},
                                {"switch", "lights_up", "Lights up"}};
constexpr Entity kSelect{"select", "template", "Session template"};

std::string fnv1a_hex(const std::string& s) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : s) {
        h ^= c;
        h *= 16777619u;
    }
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", h);
    return buf;
}

std::string config_topic(const Entity& e, const std::string& node) {
    return std::string("homeassistant/") + e.component + "/" + node + "/" + e.object + "/config";
}

// How versions before this one named the topic's node: every character but letters and
// digits turned into '_'.
std::string legacy_node(const std::string& room) {
    std::string out;
    for (char c : room)
        out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return out.empty() ? "room" : out;
}

} // namespace

std::string ha_template_state_topic(const std::string& base_topic) {
    return base_topic + "/ha/template";
}
std::string ha_template_set_topic(const std::string& base_topic) {
    return base_topic + "/ha/template/set";
}
std::string ha_start_topic(const std::string& base_topic) {
    return base_topic + "/ha/start";
}

std::string ha_entity_slug(const std::string& room_id) {
    std::string slug;
    for (char c : room_id) {
        const unsigned char u = static_cast<unsigned char>(c);
        if (std::isalnum(u))
            slug += static_cast<char>(std::tolower(u));
        else if (!slug.empty() && slug.back() != '_')
            slug += '_';
    }
    while (!slug.empty() && slug.back() == '_')
        slug.pop_back();
    std::string canonical = slug;
    for (char& c : canonical)
        if (c == '_') c = '-';
    if (slug.empty()) return "room_" + fnv1a_hex(room_id);
    return canonical == room_id ? slug : slug + "_" + fnv1a_hex(room_id);
}

std::vector<HaMessage> ha_discovery_messages(const HaDiscoveryOptions& o) {
    const std::string& node = o.room_id; // [a-zA-Z0-9_-]: a valid node id as it is
    const std::string& base = o.base_topic;
    const std::string slug = ha_entity_slug(o.room_id);
    const Json device = {{"identifiers", Json::array({"stillroom-" + o.room_id})},
                         {"name", "Stillroom " + o.room_name},
                         {"manufacturer", "Stillroom"},
                         {"model", "room controller"},
                         {"sw_version", o.sw_version}};
    Json origin = {{"name", "Stillroom"}, {"sw_version", o.sw_version}};
    if (!o.support_url.empty()) origin["support_url"] = o.support_url;
    auto common = [&](const Entity& e) {
        return Json{
            {"name", e.name},
            {"unique_id", "stillroom_" + o.room_id + "_" + e.object},
            {"default_entity_id", std::string(e.component) + ".stillroom_" + slug + "_" + e.object},
            {"availability_topic", base + "/status"},
            {"device", device},
            {"origin", origin}};
    };
    std::vector<HaMessage> out;
    const char* sensor_templates[] = {
        "{{ value_json.session.phase.name if value_json.session and value_json.session.status != "
        "'finished' "
        "else 'idle' }}",
        "{{ (value_json.session.since_dose / 60) | round(0) if value_json.session and "
        "value_json.session.since_dose is not none else none }}",
        "{{ value_json.session.now_playing.title if value_json.session and "
        "value_json.session.now_playing else '' }}"};
    for (std::size_t i = 0; i < std::size(kSensors); ++i) {
        Json j = common(kSensors[i]);
        j["state_topic"] = base + "/state";
        j["value_template"] = sensor_templates[i];
        if (std::string(kSensors[i].object) == "since_dose") j["unit_of_measurement"] = "min";
        out.push_back({config_topic(kSensors[i], node), dump_json(j)});
    }
    for (const auto& e : kButtons) {
        Json j = common(e);
        if (std::string(e.object) == "start") {
            j["command_topic"] = ha_start_topic(base); // starts the template the select armed
        } else {
            j["command_topic"] = base + "/cmd/" + e.object;
            j["payload_press"] = "{}";
        }
        out.push_back({config_topic(e, node), dump_json(j)});
    }
    for (const auto& e : kSwitches) {
        std::string action = e.object;
        for (char& c : action)
            if (c == '_') c = '-';
        const std::string key = e.object; // the state JSON's session.comfort / session.lights_up
        Json j = common(e);
        j["command_topic"] = base + "/cmd/" + action;
        j["payload_on"] = R"({"on":true})";
        j["payload_off"] = R"({"on":false})";
        j["state_topic"] = base + "/state";
        j["value_template"] =
            "{{ 'ON' if value_json.session and value_json.session.status != 'finished' and "
            "value_json.session." +
            key + " else 'OFF' }}";
        j["state_on"] = "ON";
        j["state_off"] = "OFF";
        out.push_back({config_topic(e, node), dump_json(j)});
    }
    Json select = common(kSelect);
    Json options = Json::array({kHaNoTemplate});
    for (const auto& [id, name] : o.templates)
        options.push_back(id);
    select["options"] = options;
    select["command_topic"] = ha_template_set_topic(base); // arms; the Start button starts
    select["state_topic"] = ha_template_state_topic(base);
    out.push_back({config_topic(kSelect, node), dump_json(select)});
    return out;
}

std::vector<std::string> ha_retired_config_topics(const HaDiscoveryOptions& o) {
    std::set<std::string> current;
    for (const auto& m : ha_discovery_messages(o))
        current.insert(m.topic);
    const std::string old = legacy_node(o.room_id);
    std::vector<Entity> before(std::begin(kSensors), std::end(kSensors));
    for (const char* b : {"comfort", "lights_up", "next", "hold", "resume"})
        before.push_back({"button", b, ""});
    before.push_back(kSelect);
    std::vector<std::string> out;
    for (const auto& e : before)
        if (std::string t = config_topic(e, old); !current.count(t)) out.push_back(std::move(t));
    return out;
}

bool ha_config_is_ours(const std::string& payload, const HaDiscoveryOptions& o) {
    if (payload.empty()) return false;
    const Json j = Json::parse(payload, nullptr, false);
    return j.is_object() && j.contains("availability_topic") &&
           j["availability_topic"].is_string() &&
           j["availability_topic"].get<std::string>() == o.base_topic + "/status";
}

std::string ha_template_option(const Json& state, const std::string& armed) {
    const Json* session =
        state.is_object() && state.contains("session") ? &state["session"] : nullptr;
    if (session && session->is_object() && session->value("status", "") != "finished" &&
        session->contains("template"))
        return (*session)["template"].get<std::string>();
    return armed.empty() ? kHaNoTemplate : armed;
}

} // namespace stillroom
