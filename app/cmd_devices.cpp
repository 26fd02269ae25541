// stillroom devices discover|prepare|test: find Zigbee2MQTT lights; set how they come back
// after a power cut; fade each light and sound each audio output gently, so the clinic can
// check the room.
#include "app/commands.hpp"
#include "devices/audio_driver.hpp"
#include "devices/lights_driver.hpp"
#include "devices/mqtt_client.hpp"
#include "devices/z2m_discovery.hpp"
#include "library/library.hpp"
#include "playlists/sndfile.hpp"
#include "playlists/test_tone.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

namespace stillroom::app {

namespace fs = std::filesystem;

namespace {

// The MQTT options for the room's broker (--library) or --url, for a short-lived client.
std::optional<MqttOptions> broker_options(const cli::Args& args, const char* verb) {
    MqttOptions o;
    if (args.has("--library")) {
        Problems p;
        Library lib = load_library(args.get("--library"), p);
        if (!lib.room.mqtt) {
            std::cerr << "stillroom devices " << verb
                      << ": room.json has no \"mqtt\" section (or use --url)\n";
            return std::nullopt;
        }
        std::string error;
        o = mqtt_options_from(*lib.room.mqtt, lib.dir.string(), &error);
        o.will_topic.clear();
    } else {
        Problems p("--url");
        Json fake = {{"room", "discover"},
                     {"mqtt", {{"url", args.get("--url", "mqtt://127.0.0.1:1883")}}}};
        auto room = load_room_config(fake, p);
        if (!room) {
            std::cerr << p.to_string();
            return std::nullopt;
        }
        o.host = room->mqtt->host;
        o.port = room->mqtt->port;
        o.tls = room->mqtt->tls;
    }
    o.client_id = std::string("stillroom-") + verb;
    o.max_payload = 4 * 1024 * 1024;
    return o;
}

int timeout_seconds(const cli::Args& args) {
    try {
        return std::clamp(std::stoi(args.get("--timeout", "10")), 1, 600);
    } catch (const std::exception&) {
        return 10;
    }
}

// Messages on the topics a client subscribed to, collected for a short-lived command.
struct Inbox {
    std::mutex m;
    std::map<std::string, std::string> latest; // topic -> newest payload

    SteadyDeviceClock clock; // this command's real time: the waits below, the MQTT client
    Wakeup arrived;

    void put(const std::string& topic, const std::string& payload) {
        {
            std::lock_guard lock(m);
            latest[topic] = payload;
        }
        arrived.wake();
    }
    // Waits (bounded) until `pred(latest)` holds.
    template <class Pred> bool wait(int seconds, Pred pred) {
        const DeviceTime until = clock.now() + std::chrono::seconds(seconds);
        for (;;) {
            {
                std::lock_guard lock(m);
                if (pred(latest)) return true;
            }
            if (clock.now() >= until) return false;
            clock.wait_until(until, arrived);
        }
    }
};

// bridge/devices from --file, or from the broker (the retained message Z2M publishes).
std::optional<Json> bridge_devices(const cli::Args& args, const std::string& base, const char* verb,
                                   std::unique_ptr<MqttClient>* keep, Inbox* inbox) {
    if (args.has("--file")) {
        Problems p(args.get("--file"));
        auto j = read_json_file(args.get("--file"), p);
        if (!j) std::cerr << p.to_string();
        return j;
    }
    auto o = broker_options(args, verb);
    if (!o) return std::nullopt;
    auto client = std::make_unique<MqttClient>(*o, inbox->clock);
    const std::string topic = base + "/bridge/devices";
    client->subscribe(topic);
    client->on_message([inbox](const std::string& t, const std::string& p) { inbox->put(t, p); });
    std::string error;
    if (!client->start(&error)) {
        std::cerr << "stillroom devices " << verb << ": " << error << "\n";
        return std::nullopt;
    }
    const int timeout = timeout_seconds(args);
    if (!inbox->wait(timeout, [&](const auto& latest) { return latest.count(topic) > 0; })) {
        std::cerr << "stillroom devices " << verb << ": no " << topic << " message within "
                  << timeout << " s ("
                  << (client->connected() ? "connected"
                                          : "broker unreachable: " + client->last_error())
                  << ")\n";
        return std::nullopt;
    }
    std::string payload;
    {
        std::lock_guard lock(inbox->m);
        payload = inbox->latest[topic];
    }
    Problems p(topic);
    auto j = parse_json_text(payload, p);
    if (!j) std::cerr << p.to_string();
    if (keep) *keep = std::move(client);
    return j;
}

int discover(const cli::Args& args) {
    const std::string base = args.get("--base", "zigbee2mqtt");
    Inbox inbox;
    auto devices = bridge_devices(args, base, "discover", nullptr, &inbox);
    if (!devices) return cli::kBadInput;
    Problems problems("bridge/devices");
    Json lights = lights_from_z2m_devices(*devices, base, problems);
    for (const auto& p : problems.list())
        std::cerr << p.to_string() << "\n";
    if (problems.has_errors()) return cli::kBadInput; // not a devices array: nothing to print
    std::cout << dump_json(Json{{"lights", lights}}, 2) << "\n";
    std::cerr << lights.size() << " lights found; paste them into room.json \"lights\"\n";
    return cli::kOk;
}

// Sets every Zigbee light that has power_on_behavior to come back as the clinic chooses
// after a power cut, and waits for each device to confirm (Z2M publishes its new state).
int prepare(const cli::Args& args) {
    const std::string base = args.get("--base", "zigbee2mqtt");
    const std::string want = args.get("--power-on", "previous");
    if (want != "previous" && want != "off" && want != "on") {
        std::cerr << "stillroom devices prepare: --power-on expects previous, off or on, got \""
                  << want << "\"\n";
        return cli::kUsage;
    }
    if (args.has("--file")) {
        std::cerr
            << "stillroom devices prepare: needs the broker (--library or --url), not --file\n";
        return cli::kUsage;
    }
    Inbox inbox;
    std::unique_ptr<MqttClient> client;
    auto devices = bridge_devices(args, base, "prepare", &client, &inbox);
    if (!devices || !client) return cli::kBadInput;
    Problems problems("bridge/devices");
    std::vector<std::string> cannot;
    const auto targets = z2m_power_on_targets(*devices, base, cannot, problems);
    for (const auto& p : problems.list())
        std::cerr << p.to_string() << "\n";
    if (problems.has_errors()) return cli::kBadInput;
    std::vector<const PowerOnTarget*> sent;
    for (const auto& t : targets) {
        if (std::find(t.values.begin(), t.values.end(), want) == t.values.end()) {
            std::string accepted;
            for (const auto& v : t.values)
                accepted += (accepted.empty() ? "" : ", ") + v;
            std::cout << t.friendly_name << ": cannot come back \"" << want << "\" (it accepts "
                      << accepted << ")\n";
            continue;
        }
        Json set = Json::object();
        for (const auto& p : t.properties)
            set[p] = want;
        client->subscribe(t.topic);
        client->publish(t.topic + "/set", dump_json(set), 1, false);
        sent.push_back(&t);
    }
    // Each device confirms with its state on base/NAME carrying the new value(s).
    auto confirmed = [&](const PowerOnTarget& t, const std::map<std::string, std::string>& latest) {
        auto it = latest.find(t.topic);
        if (it == latest.end()) return false;
        const Json s = Json::parse(it->second, nullptr, false);
        if (!s.is_object()) return false;
        for (const auto& p : t.properties)
            if (!s.contains(p) || s[p] != want) return false;
        return true;
    };
    const int timeout = timeout_seconds(args);
    inbox.wait(timeout, [&](const auto& latest) {
        for (const auto* t : sent)
            if (!confirmed(*t, latest)) return false;
        return true;
    });
    int failed = 0;
    {
        std::lock_guard lock(inbox.m);
        for (const auto* t : sent) {
            const bool ok = confirmed(*t, inbox.latest);
            failed += !ok;
            std::cout << t->friendly_name << ": "
                      << (ok ? "comes back \"" + want + "\" after a power cut"
                             : "no confirmation within " + std::to_string(timeout) + " s")
                      << "\n";
        }
    }
    for (const auto& name : cannot)
        std::cout
            << name
            << ": cannot be set (no power_on_behavior); after a power cut it comes back as its "
               "firmware decides, usually on at full brightness\n";
    client->stop();
    std::cerr << sent.size() - failed << " of " << targets.size() + cannot.size() << " lights set; "
              << cannot.size() << " cannot be set; " << failed << " did not confirm\n";
    return failed ? cli::kBadInput : cli::kOk;
}

SceneLights single_light_scene(const std::string& light, double brightness) {
    return {{light, LightTarget{true, brightness, 2700.0, std::nullopt}}};
}

int test(const cli::Args& args) {
    Problems problems;
    Library lib = load_library(args.get("--library"), problems);
    for (const auto& p : problems.list())
        if (p.file == "room.json") std::cerr << p.to_string() << "\n";
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    std::unique_ptr<MqttClient> mqtt;
    if (lib.room.mqtt) {
        std::string error;
        MqttOptions o = mqtt_options_from(*lib.room.mqtt, lib.dir.string(), &error);
        o.client_id += "-test";
        o.will_topic.clear();
        mqtt = std::make_unique<MqttClient>(o, device_clock);
    }
    LightsDriverOptions lo;
    lo.lights = lib.room.lights;
    LightsDriver lights(lo, mqtt.get(), clock, device_clock);
    lights.start();
    if (mqtt) {
        std::string error;
        mqtt->start(&error);
        for (int i = 0; i < 50 && !mqtt->connected(); ++i)
            clock.wait_until(clock.now() + Ms{100});
        if (!mqtt->connected())
            std::cerr << "the MQTT broker is not reachable; MQTT lights cannot be tested\n";
    }
    const std::string only = args.get("--light");
    for (const auto& l : lib.room.lights) {
        if (!only.empty() && l.id != only) continue;
        std::cout << "light " << l.id << " (" << to_string(l.dialect) << "): up over 3 s"
                  << std::endl;
        lights.show_scene(single_light_scene(l.id, 0.6), Ms{3000}, clock.now());
        clock.wait_until(clock.now() + Ms{4000});
        std::cout << "light " << l.id << ": down over 3 s" << std::endl;
        lights.show_scene(single_light_scene(l.id, 0.1), Ms{3000}, clock.now());
        clock.wait_until(clock.now() + Ms{4000});
    }
    lights.stop();
    if (mqtt) mqtt->stop();

    if (lib.room.audio && args.get("--audio", "portaudio") != "off" && only.empty()) {
        // A quiet tone on each output group in turn.
        const fs::path tone = fs::temp_directory_path() / "stillroom-test-tone.wav";
        std::error_code ec;
        fs::remove(tone, ec); // always today's tone, not a stale file of that name
        if (std::string error; !write_test_tone(tone, &error))
            std::cerr << "stillroom: test tone: " << error << "\n";
        for (const auto& group : lib.room.audio->outputs) {
            AudioDriverOptions ao;
            ao.library_dir = tone.parent_path();
            ao.config = *lib.room.audio;
            ao.config.outputs = {group};
            ao.sink =
                args.get("--audio", "portaudio") == "null" ? AudioSink::Null : AudioSink::PortAudio;
            AudioDriver audio(ao, clock, device_clock, {}, {});
            audio.start();
            std::cout << "output " << group.id << ": tone at -30 dB ("
                      << audio.health()["detail"].get<std::string>() << ")" << std::endl;
            if (audio.device_open()) {
                audio.apply({Ms{0}, PlaySound{tone.filename().string(), -30, false}}, clock.now());
                clock.wait_until(clock.now() + Ms{2500});
            }
            audio.stop();
        }
        fs::remove(tone, ec);
    }
    std::cout << "done" << std::endl;
    return cli::kOk;
}

} // namespace

int cmd_devices(const cli::Args& args) {
    const std::string verb = args.positional[0];
    if (verb == "discover") return discover(args);
    if (verb == "prepare") {
        if (!args.has("--library") && !args.has("--url")) {
            std::cerr << "stillroom devices prepare: --library DIR or --url URL is required\n";
            return cli::kUsage;
        }
        return prepare(args);
    }
    if (verb == "test") {
        if (!args.has("--library")) {
            std::cerr << "stillroom devices test: --library DIR is required\n";
            return cli::kUsage;
        }
        return test(args);
    }
    std::cerr << "stillroom devices: expected discover, prepare or test, got \"" << verb << "\"\n";
    return cli::kUsage;
}

} // namespace stillroom::app
