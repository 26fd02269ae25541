// Loading room.json.
#include "library/room_config.hpp"

#include "library/light_quirks.hpp"
#include "library/time_zone.hpp"

#include "engine/commands.hpp"
#include "engine/time_expr.hpp"

#include <cctype>
#include <regex>

namespace stillroom {

const char* to_string(Dialect d) {
    switch (d) {
    case Dialect::Zigbee2Mqtt:
        return "zigbee2mqtt";
    case Dialect::HomeAssistant:
        return "homeassistant";
    case Dialect::Tasmota:
        return "tasmota";
    case Dialect::Wled:
        return "wled";
    case Dialect::Simulated:
        return "simulated";
    }
    return "simulated";
}

std::set<std::string> RoomConfig::light_ids() const {
    std::set<std::string> ids;
    for (const auto& l : lights)
        ids.insert(l.id);
    return ids;
}

std::set<std::string> RoomConfig::midi_output_ids() const {
    std::set<std::string> ids;
    if (midi)
        for (const auto& o : midi->outputs)
            ids.insert(o.id);
    return ids;
}

bool is_midi_action(const std::string& action) {
    if (action == "volume" || action == "brightness" || action == "depth") return true;
    if (action == "booster" || action == "comfort-off" || action == "lights-down") return true;
    auto kind = command_kind_from_name(action);
    return kind && *kind != CommandKind::Vitals && *kind != CommandKind::Ack &&
           *kind != CommandKind::TrackFailed && *kind != CommandKind::Extend &&
           *kind != CommandKind::Volume && *kind != CommandKind::Observe &&
           *kind != CommandKind::Discharge && *kind != CommandKind::Depth;
}

namespace {

// Reads a key that may be null (DESIGN.md writes "ca_file": null); null means absent.
const Json* nullable(ObjectReader& obj, std::string_view key) {
    const Json* v = obj.get(key);
    return v && !v->is_null() ? v : nullptr;
}

std::optional<std::string> nullable_string(ObjectReader& obj, std::string_view key) {
    const Json* v = nullable(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
        obj.problems().error(obj.path_of(key),
                             "expected a string or null, got " + describe_json(*v));
        return std::nullopt;
    }
    return v->get<std::string>();
}

} // namespace

bool parse_host_port(const std::string& text, std::string& host, int& port) {
    static const std::regex re(R"(^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-]+):([0-9]{1,5})$)");
    std::smatch m;
    if (!std::regex_match(text, m, re)) return false;
    host = m[1].str();
    if (host.front() == '[') host = host.substr(1, host.size() - 2);
    port = std::stoi(m[2].str());
    return port > 0 && port < 65536;
}

namespace {

std::optional<AudioConfig> read_audio(ObjectReader& a) {
    Problems& problems = a.problems();
    AudioConfig c;
    c.device = a.string("device").value_or("default");
    if (auto r = a.integer("sample_rate", Need::Optional, 8000, 192000))
        c.sample_rate = static_cast<int>(*r);
    if (auto b = a.integer("buffer_frames", Need::Optional, 16, 8192))
        c.buffer_frames = static_cast<int>(*b);
    if (auto m = a.number("max_volume_db", Need::Optional, -60, 0)) c.max_volume_db = *m;
    std::set<int> used_channels;
    std::set<std::string> ids;
    if (const Json* outputs = a.array("outputs")) {
        for (std::size_t i = 0; i < outputs->size(); ++i) {
            ObjectReader o((*outputs)[i], json_path_index(a.path_of("outputs"), i), problems);
            if (!o.is_object()) continue;
            AudioOutputGroup g;
            if (auto id = o.string("id", Need::Required)) {
                if (!is_valid_id(*id))
                    problems.error(o.path_of("id"),
                                   "expected an id of letters, digits, '-' or '_'");
                if (!ids.insert(*id).second)
                    problems.error(o.path_of("id"), "output id \"" + *id + "\" is used twice");
                g.id = *id;
            }
            if (const Json* ch = o.array("channels", Need::Required)) {
                if (ch->empty())
                    problems.error(o.path_of("channels"), "expected at least one channel");
                for (std::size_t k = 0; k < ch->size(); ++k) {
                    const Json& v = (*ch)[k];
                    if (!v.is_number_integer() || v.get<int>() < 1 || v.get<int>() > 64) {
                        problems.error(json_path_index(o.path_of("channels"), k),
                                       "expected a channel number from 1 to 64, got " +
                                           describe_json(v));
                        continue;
                    }
                    if (!used_channels.insert(v.get<int>()).second)
                        problems.error(json_path_index(o.path_of("channels"), k),
                                       "channel " + std::to_string(v.get<int>()) +
                                           " is used by two outputs");
                    g.channels.push_back(v.get<int>());
                }
            }
            if (auto gain = o.number("gain_db", Need::Optional, -60, 0)) g.gain_db = *gain;
            o.finish();
            c.outputs.push_back(std::move(g));
        }
    }
    if (c.outputs.empty()) c.outputs.push_back({"room", {1, 2}, 0});
    a.finish();
    return c;
}

} // namespace

std::optional<MqttConfig> read_mqtt(ObjectReader& m, const std::string& room) {
    Problems& problems = m.problems();
    MqttConfig c;
    // "url": one broker, or a list of the brokers of one cluster (same scheme for all).
    std::vector<std::pair<std::string, std::string>> urls; // json path, url
    if (const Json* u = m.get("url", Need::Required)) {
        if (u->is_string()) {
            urls.emplace_back(m.path_of("url"), u->get<std::string>());
        } else if (u->is_array() && !u->empty() && u->size() <= 16) {
            for (std::size_t i = 0; i < u->size(); ++i) {
                const std::string path = json_path_index(m.path_of("url"), i);
                if ((*u)[i].is_string())
                    urls.emplace_back(path, (*u)[i].get<std::string>());
                else
                    problems.error(path,
                                   "expected a broker URL string, got " + describe_json((*u)[i]));
            }
        } else {
            problems.error(m.path_of("url"),
                           "expected a broker URL or a list of 1 to 16 broker URLs, got " +
                               describe_json(*u));
        }
    }
    c.brokers.clear();
    static const std::regex re(R"(^(mqtts?)://([^/:]+|\[[0-9a-fA-F:.]+\])(:([0-9]{1,5}))?/?$)");
    for (std::size_t i = 0; i < urls.size(); ++i) {
        const auto& [path, url] = urls[i];
        std::smatch sm;
        if (!std::regex_match(url, sm, re)) {
            problems.error(path, "expected mqtt://HOST:PORT or mqtts://HOST:PORT, got " +
                                     describe_json(Json(url)));
            continue;
        }
        const bool tls = sm[1].str() == "mqtts";
        MqttBroker b;
        b.host = sm[2].str();
        if (b.host.front() == '[') b.host = b.host.substr(1, b.host.size() - 2);
        b.port = sm[4].matched ? std::stoi(sm[4].str()) : (tls ? 8883 : 1883);
        if (b.port <= 0 || b.port > 65535) problems.error(path, "port out of range");
        if (c.brokers.empty()) {
            c.url = url;
            c.tls = tls;
            c.host = b.host;
            c.port = b.port;
        } else if (tls != c.tls) {
            problems.error(path, "every broker of a cluster uses the same scheme (" +
                                     std::string(c.tls ? "mqtts" : "mqtt") + "://)");
        }
        c.brokers.push_back(std::move(b));
    }
    c.client_id = m.string("client_id").value_or("stillroom-" + room);
    c.username = nullable_string(m, "username").value_or("");
    c.password_file = nullable_string(m, "password_file").value_or("");
    c.ca_file = nullable_string(m, "ca_file").value_or("");
    c.base_topic = m.string("base_topic").value_or("stillroom/" + room);
    if (c.base_topic.empty() || c.base_topic.find_first_of("+#") != std::string::npos)
        problems.error(m.path_of("base_topic"), "expected a topic without wildcards");
    c.homeassistant = m.boolean("homeassistant").value_or(false);
    c.library_commands = m.boolean("library_commands").value_or(false);
    c.support_url = nullable_string(m, "support_url").value_or("");
    if (!c.support_url.empty() && c.support_url.rfind("http://", 0) != 0 &&
        c.support_url.rfind("https://", 0) != 0)
        problems.error(
            m.path_of("support_url"),
            "expected an http:// or https:// URL (Home Assistant's origin.support_url), got " +
                describe_json(Json(c.support_url)));
    if (const Json* v = m.get("version")) {
        if (*v == "3.1.1" || *v == 311)
            c.protocol = 311;
        else if (*v == "5" || *v == 5)
            c.protocol = 5;
        else
            problems.error(m.path_of("version"),
                           "expected \"3.1.1\" or \"5\", got " + describe_json(*v));
    }
    if (!c.password_file.empty() && c.username.empty())
        problems.error(m.path_of("password_file"), "a password needs a \"username\"");
    m.finish();
    return c;
}

namespace {

// endpoint, full_topic and quirks: how this particular device is addressed and behaves.
void read_light_device_options(ObjectReader& l, LightConfig& c) {
    Problems& problems = l.problems();
    if (auto e = l.string("endpoint")) {
        if (c.dialect != Dialect::Zigbee2Mqtt)
            problems.error(l.path_of("endpoint"), "only zigbee2mqtt lights have endpoints");
        else if (e->empty() || !is_valid_id(*e))
            problems.error(l.path_of("endpoint"), "expected an endpoint name such as \"l1\"");
        else
            c.endpoint = *e;
    }
    if (auto f = l.string("full_topic")) {
        if (c.dialect != Dialect::Tasmota)
            problems.error(l.path_of("full_topic"), "only tasmota lights have a full_topic");
        else if (f->find("%prefix%") == std::string::npos ||
                 f->find("%topic%") == std::string::npos ||
                 f->find_first_of("+#") != std::string::npos)
            problems.error(l.path_of("full_topic"),
                           "expected Tasmota's FullTopic with %prefix% and %topic%, e.g. "
                           "\"%prefix%/%topic%/\", got " +
                               describe_json(Json(*f)));
        else
            c.full_topic = *f;
    }
    if (const Json* q = l.array("quirks")) {
        for (std::size_t i = 0; i < q->size() && i < 16; ++i) {
            const std::string path = json_path_index(l.path_of("quirks"), i);
            const Json& v = (*q)[i];
            const LightQuirk* known = v.is_string() ? find_quirk(v.get<std::string>()) : nullptr;
            if (!known || known->dialect != c.dialect)
                problems.error(path, "expected a quirk of dialect " +
                                         std::string(to_string(c.dialect)) + " (" +
                                         quirk_names(c.dialect) + "), got " + describe_json(v));
            else
                c.quirks.push_back(known->id);
        }
        if (q->size() > 16) problems.error(l.path_of("quirks"), "at most 16 quirks");
    }
}

void read_lights(ObjectReader& root, RoomConfig& room) {
    Problems& problems = root.problems();
    const Json* lights = root.array("lights");
    if (!lights) return;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < lights->size(); ++i) {
        ObjectReader l((*lights)[i], json_path_index("lights", i), problems);
        if (!l.is_object()) continue;
        LightConfig c;
        if (auto id = l.string("id", Need::Required)) {
            if (!is_valid_id(*id) || *id == "*")
                problems.error(l.path_of("id"), "expected an id of letters, digits, '-' or '_'");
            if (!ids.insert(*id).second)
                problems.error(l.path_of("id"), "light id \"" + *id + "\" is used twice");
            c.id = *id;
        }
        c.name = l.string("name").value_or(c.id);
        if (auto d = l.string("dialect", Need::Required)) {
            if (*d == "zigbee2mqtt")
                c.dialect = Dialect::Zigbee2Mqtt;
            else if (*d == "homeassistant")
                c.dialect = Dialect::HomeAssistant;
            else if (*d == "tasmota")
                c.dialect = Dialect::Tasmota;
            else if (*d == "wled")
                c.dialect = Dialect::Wled;
            else if (*d == "simulated")
                c.dialect = Dialect::Simulated;
            else
                problems.error(l.path_of("dialect"),
                               "expected zigbee2mqtt, homeassistant, tasmota, wled "
                               "or simulated, got " +
                                   describe_json(Json(*d)));
        }
        if (auto t = l.string("topic")) {
            if (t->empty() || t->find_first_of("+#") != std::string::npos)
                problems.error(l.path_of("topic"), "expected a topic without wildcards");
            c.topic = *t;
        } else if (c.dialect != Dialect::Simulated && l.is_object() && !l.has("topic")) {
            problems.error(l.path_of("topic"),
                           "required for dialect " + std::string(to_string(c.dialect)));
        }
        c.brightness = l.boolean("brightness").value_or(true);
        if (const Json* k = l.get("kelvin")) {
            if (k->is_boolean() && !k->get<bool>()) {
                c.kelvin.reset();
            } else if (k->is_array() && k->size() == 2 && (*k)[0].is_number() &&
                       (*k)[1].is_number() && (*k)[0].get<double>() >= 1000 &&
                       (*k)[1].get<double>() <= 10000 &&
                       (*k)[0].get<double>() < (*k)[1].get<double>()) {
                c.kelvin = std::pair<int, int>{(*k)[0].get<int>(), (*k)[1].get<int>()};
            } else {
                problems.error(l.path_of("kelvin"),
                               "expected [MIN, MAX] in kelvin (1000 to 10000) or false, got " +
                                   describe_json(*k));
            }
        }
        c.color = l.boolean("color").value_or(false);
        c.transition = l.boolean("transition").value_or(c.dialect != Dialect::Simulated);
        if (auto r = l.number("max_rate_hz", Need::Optional, 0.1, 20)) c.max_rate_hz = *r;
        read_light_device_options(l, c);
        l.finish();
        if (!c.id.empty()) room.lights.push_back(std::move(c));
    }
}

std::optional<MidiConfig> read_midi(ObjectReader& m) {
    Problems& problems = m.problems();
    MidiConfig c;
    if (const Json* inputs = m.array("inputs")) {
        for (std::size_t i = 0; i < inputs->size(); ++i) {
            ObjectReader in((*inputs)[i], json_path_index(m.path_of("inputs"), i), problems);
            if (!in.is_object()) continue;
            MidiInputConfig ic;
            ic.port = in.string("port", Need::Required).value_or("");
            if (const Json* map = in.array("map")) {
                for (std::size_t k = 0; k < map->size(); ++k) {
                    ObjectReader e((*map)[k], json_path_index(in.path_of("map"), k), problems);
                    if (!e.is_object()) continue;
                    MidiMapping mm;
                    if (auto cc = e.integer("cc", Need::Optional, 0, 127))
                        mm.cc = static_cast<int>(*cc);
                    if (auto note = e.integer("note", Need::Optional, 0, 127))
                        mm.note = static_cast<int>(*note);
                    if (auto ch = e.integer("channel", Need::Optional, 1, 16))
                        mm.channel = static_cast<int>(*ch);
                    if (e.has("cc") == e.has("note"))
                        problems.error(e.path(), "expected exactly one of \"cc\" or \"note\"");
                    if (auto action = e.string("action", Need::Required)) {
                        if (!is_midi_action(*action))
                            problems.error(
                                e.path_of("action"),
                                "unknown action " + describe_json(Json(*action)) +
                                    " (volume, depth, brightness, comfort, lights-up, next, hold, "
                                    "resume, dose, booster, skip, end)");
                        if ((*action == "volume" || *action == "brightness" ||
                             *action == "depth") &&
                            e.has("note"))
                            problems.error(e.path_of("action"),
                                           "\"" + *action + "\" needs a \"cc\" (a fader or knob)");
                        mm.action = *action;
                    }
                    e.finish();
                    ic.map.push_back(std::move(mm));
                }
            }
            in.finish();
            c.inputs.push_back(std::move(ic));
        }
    }
    if (const Json* outputs = m.array("outputs")) {
        std::set<std::string> ids;
        for (std::size_t i = 0; i < outputs->size(); ++i) {
            ObjectReader o((*outputs)[i], json_path_index(m.path_of("outputs"), i), problems);
            if (!o.is_object()) continue;
            MidiOutputConfig oc;
            if (auto id = o.string("id", Need::Required)) {
                if (!ids.insert(*id).second)
                    problems.error(o.path_of("id"), "output id \"" + *id + "\" is used twice");
                oc.id = *id;
            }
            oc.port = o.string("port", Need::Required).value_or("");
            o.finish();
            c.outputs.push_back(std::move(oc));
        }
    }
    m.finish();
    return c;
}

} // namespace

namespace {

// A DNS name a tablet can use: labels of 1-63 letters, digits and '-' (not at either end),
// at most 253 characters; a trailing dot is dropped. Lower-cased; nullopt when invalid.
std::optional<std::string> host_name(std::string name) {
    if (!name.empty() && name.back() == '.') name.pop_back();
    if (name.empty() || name.size() > 253) return std::nullopt;
    std::size_t label = 0;
    for (std::size_t i = 0; i <= name.size(); ++i) {
        if (i == name.size() || name[i] == '.') {
            if (label == 0 || label > 63 || name[i - 1] == '-') return std::nullopt;
            label = 0;
            continue;
        }
        const auto ch = static_cast<unsigned char>(name[i]);
        if (!std::isalnum(ch) && !(ch == '-' && label > 0)) return std::nullopt;
        name[i] = static_cast<char>(std::tolower(ch));
        ++label;
    }
    return name;
}

} // namespace

void read_control(ObjectReader& c, ControlConfig& out) {
    Problems& problems = c.problems();
    if (const Json* hosts = c.array("hosts")) {
        for (std::size_t i = 0; i < hosts->size(); ++i) {
            const Json& h = (*hosts)[i];
            auto name = h.is_string() ? host_name(h.get<std::string>()) : std::nullopt;
            if (!name) {
                problems.error(json_path_index(c.path_of("hosts"), i),
                               "expected a host name like \"room-1.clinic.lan\" (letters, digits, "
                               "'-' and dots), got " +
                                   describe_json(h));
                continue;
            }
            out.hosts.push_back(*name);
        }
    }
    if (auto listen = c.string("listen")) {
        if (!parse_host_port(*listen, out.host, out.port))
            problems.error(c.path_of("listen"), "expected HOST:PORT like \"127.0.0.1:8080\", got " +
                                                    describe_json(Json(*listen)));
        out.listen = *listen;
    }
    if (const Json* tls = nullable(c, "tls")) {
        ObjectReader t(*tls, c.path_of("tls"), problems);
        auto cert = t.string("cert", Need::Required);
        auto key = t.string("key", Need::Required);
        t.finish();
        if (cert && key) out.tls = std::pair{*cert, *key};
    }
    if (auto digits = c.integer("min_pin_digits", Need::Optional, 4, 12))
        out.min_pin_digits = static_cast<int>(*digits);
    if (const Json* users = c.array("users")) {
        std::set<std::string> names;
        for (std::size_t i = 0; i < users->size(); ++i) {
            ObjectReader u((*users)[i], json_path_index(c.path_of("users"), i), problems);
            if (!u.is_object()) continue;
            UserConfig uc;
            uc.name = u.string("name", Need::Required).value_or("");
            if (!uc.name.empty() && !names.insert(uc.name).second)
                problems.error(u.path_of("name"), "user \"" + uc.name + "\" is listed twice");
            if (auto role = u.string("role", Need::Required)) {
                if (*role != "therapist" && *role != "curator" && *role != "clinic")
                    problems.error(u.path_of("role"),
                                   "expected therapist, curator or clinic, got " +
                                       describe_json(Json(*role)));
                uc.role = *role;
            }
            uc.pin_hash = u.string("pin_hash", Need::Required).value_or("");
            u.finish();
            out.users.push_back(std::move(uc));
        }
    }
    c.finish();
}

std::optional<RoomConfig> load_room_config(const Json& json, Problems& problems) {
    const auto errors_before = problems.error_count();
    ObjectReader root(json, "", problems);
    if (!root.is_object()) return std::nullopt;
    RoomConfig room;
    if (auto id = root.string("room", Need::Required)) {
        if (!is_valid_id(*id))
            problems.error("room", "expected an id of letters, digits, '-' or '_'");
        room.room = *id;
    }
    room.name = root.string("name").value_or(room.room);
    room.state_dir = root.string("state_dir").value_or("state");
    if (auto tz = root.string("timezone")) {
        std::string error;
        if (!TimeZone::load(*tz, &error)) problems.error("timezone", error);
        room.timezone = *tz;
    }
    if (auto st = root.object("state")) {
        if (auto days = st->integer("retention_days", Need::Optional, 1, 3650))
            room.retention_days = static_cast<int>(*days);
        st->finish();
    }
    if (const Json* a = nullable(root, "audio")) {
        ObjectReader reader(*a, "audio", problems);
        if (reader.is_object()) room.audio = read_audio(reader);
    }
    if (const Json* m = nullable(root, "mqtt")) {
        ObjectReader reader(*m, "mqtt", problems);
        if (reader.is_object()) room.mqtt = read_mqtt(reader, room.room);
    }
    read_lights(root, room);
    if (const Json* m = nullable(root, "midi")) {
        ObjectReader reader(*m, "midi", problems);
        if (reader.is_object()) room.midi = read_midi(reader);
    }
    if (const Json* c = nullable(root, "control")) {
        ObjectReader reader(*c, "control", problems);
        if (reader.is_object()) read_control(reader, room.control);
    }
    if (const Json* v = nullable(root, "vitals")) {
        ObjectReader reader(*v, "vitals", problems);
        if (reader.is_object()) {
            room.vitals = read_vitals(reader);
            if (!room.mqtt) problems.error("vitals", "the monitors need the \"mqtt\" section");
            // The room's own topics carry its state for other systems: no vital sign there.
            const std::string base = room.mqtt ? room.mqtt->base_topic + "/" : "";
            for (std::size_t i = 0; room.vitals && !base.empty() && i < room.vitals->sources.size();
                 ++i)
                if (room.vitals->sources[i].topic.starts_with(base))
                    problems.error(json_path_key(json_path_index("vitals.sources", i), "topic"),
                                   "expected a topic outside the room's own " + base + "#");
        }
    }
    root.finish();
    for (std::size_t i = 0; i < room.lights.size(); ++i) {
        if (room.lights[i].dialect != Dialect::Simulated && !room.mqtt)
            problems.error(json_path_key(json_path_index("lights", i), "dialect"),
                           "an MQTT light needs the \"mqtt\" section");
    }
    if (problems.error_count() != errors_before) return std::nullopt;
    return room;
}

} // namespace stillroom
