// room.json: the room's audio outputs, MQTT broker, lights, MIDI and users.
#pragma once

#include "engine/json_reader.hpp"
#include "engine/problems.hpp"
#include "library/room_vitals.hpp"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace stillroom {

struct AudioOutputGroup {
    std::string id;
    std::vector<int> channels; // 1-based device channels
    double gain_db = 0;
};

struct AudioConfig {
    std::string device = "default";
    int sample_rate = 48000;
    int buffer_frames = 512;
    std::vector<AudioOutputGroup> outputs;
    double max_volume_db = -6;
};

struct MqttBroker {
    std::string host;
    int port = 1883;
};

struct MqttConfig {
    std::string url = "mqtt://127.0.0.1:1883"; // the first broker as written
    bool tls = false;
    std::string host = "127.0.0.1"; // the first broker
    int port = 1883;
    // Every broker of a cluster, in order ("url": ["mqtt://a:1883", "mqtt://b:1883"]); the
    // client fails over between them. One entry when "url" is a string.
    std::vector<MqttBroker> brokers{{"127.0.0.1", 1883}};
    std::string client_id;
    std::string username;
    std::string password_file;
    std::string ca_file;
    std::string base_topic; // default stillroom/ROOM
    bool homeassistant = false;
    // BASE/cmd/library saves library files sent by the clinic overview (off by default: the
    // broker's ACL must then allow only the overview to publish there).
    bool library_commands = false;
    std::string support_url; // announced to Home Assistant as origin.support_url; optional
    int protocol = 311;      // 311 or 5
};

enum class Dialect { Zigbee2Mqtt, HomeAssistant, Tasmota, Wled, Simulated };
const char* to_string(Dialect d);

struct LightConfig {
    std::string id;
    std::string name;
    Dialect dialect = Dialect::Simulated;
    std::string topic;
    bool brightness = true;
    std::optional<std::pair<int, int>> kelvin; // supported range; none: no colour temperature
    bool color = false;
    bool transition = true;
    double max_rate_hz = 2;
    // Zigbee2MQTT: the endpoint of a multi-endpoint device ("l1", "front"); keys get "_l1".
    std::string endpoint;
    // Tasmota: the device's FullTopic, with %prefix% (cmnd/tele) and %topic%.
    std::string full_topic = "%prefix%/%topic%/";
    // Device quirks by name (library/light_quirks.hpp); discovery fills them in.
    std::vector<std::string> quirks;
};

struct MidiMapping {
    std::optional<int> cc;
    std::optional<int> note;
    std::optional<int> channel; // 1..16; none: any
    std::string action;         // volume | brightness | a session action
};

struct MidiInputConfig {
    std::string port;
    std::vector<MidiMapping> map;
};

struct MidiOutputConfig {
    std::string id;
    std::string port;
};

struct MidiConfig {
    std::vector<MidiInputConfig> inputs;
    std::vector<MidiOutputConfig> outputs;
};

struct UserConfig {
    std::string name; // a staff login name, e.g. "therapist"
    std::string role; // therapist | curator | clinic
    std::string pin_hash;
};

struct ControlConfig {
    std::string listen = "127.0.0.1:8080";
    std::string host = "127.0.0.1";
    int port = 8080;
    std::optional<std::pair<std::string, std::string>> tls; // cert, key
    // "hosts": the names tablets use for the room (lower case), answered besides IP
    // literals, localhost and this machine's own name; every other Host is refused.
    std::vector<std::string> hosts;
    std::vector<UserConfig> users;
    int min_pin_digits = 4; // "min_pin_digits": 4 to 12; shorter PINs are refused at login
};

struct RoomConfig {
    std::string room;
    std::string name;
    std::string state_dir = "state";
    // "timezone": the IANA name the record's clock times are in; "" = the system's
    // (/etc/localtime). Checked when loaded (library/time_zone.hpp).
    std::string timezone;
    int retention_days = 90; // "state": {"retention_days"}: journals older than this are deleted
    std::optional<AudioConfig> audio;
    std::optional<MqttConfig> mqtt;
    std::vector<LightConfig> lights;
    std::optional<MidiConfig> midi;
    ControlConfig control;
    std::optional<VitalsConfig> vitals; // the room's monitors on MQTT (library/room_vitals.hpp)

    std::set<std::string> light_ids() const;
    std::set<std::string> midi_output_ids() const;
    double max_volume_db() const { return audio ? audio->max_volume_db : -6; }
    int sample_rate() const { return audio ? audio->sample_rate : 48000; }
};

std::optional<RoomConfig> load_room_config(const Json& json, Problems& problems);

// "HOST:PORT", "[v6]:PORT": false unless both parts are valid (control.listen, --listen).
bool parse_host_port(const std::string& text, std::string& host, int& port);

// The "mqtt" and "control" sections, shared with the clinic overview's clinic.json.
std::optional<MqttConfig> read_mqtt(ObjectReader& m, const std::string& client_name);
void read_control(ObjectReader& c, ControlConfig& out);

// MIDI map actions besides the session commands.
bool is_midi_action(const std::string& action);

} // namespace stillroom
