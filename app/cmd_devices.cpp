// stillroom devices discover|test: find Zigbee2MQTT lights; fade each light and sound each
// audio output gently, so the clinic can check the room.
#include "app/commands.hpp"
#include "control/library.hpp"
#include "devices/audio_driver.hpp"
#include "devices/lights_driver.hpp"
#include "devices/mqtt_client.hpp"
#include "devices/z2m_discovery.hpp"
#include "playlists/sndfile.hpp"

#include <cmath>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <sstream>

namespace stillroom::app {

namespace fs = std::filesystem;

namespace {

int discover(const cli::Args& args) {
    const std::string base = args.get("--base", "zigbee2mqtt");
    Json devices;
    Problems problems("bridge/devices");
    if (args.has("--file")) {
        Problems p(args.get("--file"));
        auto j = read_json_file(args.get("--file"), p);
        if (!j) {
            std::cerr << p.to_string();
            return cli::kBadInput;
        }
        devices = *j;
    } else {
        MqttOptions o;
        if (args.has("--library")) {
            Problems p;
            Library lib = load_library(args.get("--library"), p);
            if (!lib.room.mqtt) {
                std::cerr << "stillroom devices discover: room.json has no \"mqtt\" section (or use --url)\n";
                return cli::kBadInput;
            }
            std::string error;
            o = mqtt_options_from(*lib.room.mqtt, lib.dir.string(), &error);
            o.will_topic.clear();
        } else {
            Problems p("--url");
            Json fake = {{"room", "discover"}, {"mqtt", {{"url", args.get("--url", "mqtt://127.0.0.1:1883")}}}};
            auto room = load_room_config(fake, p);
            if (!room) {
                std::cerr << p.to_string();
                return cli::kUsage;
            }
            o.host = room->mqtt->host;
            o.port = room->mqtt->port;
            o.tls = room->mqtt->tls;
        }
        o.client_id = "stillroom-discover";
        o.max_payload = 4 * 1024 * 1024;
        MqttClient client(o);
        std::mutex m;
        std::condition_variable cv;
        std::optional<std::string> payload;
        client.subscribe(base + "/bridge/devices");
        client.on_message([&](const std::string& topic, const std::string& p) {
            if (topic != base + "/bridge/devices") return;
            std::lock_guard lock(m);
            payload = p;
            cv.notify_all();
        });
        std::string error;
        if (!client.start(&error)) {
            std::cerr << "stillroom devices discover: " << error << "\n";
            return cli::kBadInput;
        }
        const int timeout = std::stoi(args.get("--timeout", "10"));
        std::unique_lock lock(m);
        if (!cv.wait_for(lock, std::chrono::seconds(timeout), [&] { return payload.has_value(); })) {
            std::cerr << "stillroom devices discover: no " << base << "/bridge/devices message within " << timeout
                      << " s (" << (client.connected() ? "connected" : "broker unreachable: " + client.last_error()) << ")\n";
            return cli::kBadInput;
        }
        Problems p("bridge/devices");
        auto j = parse_json_text(*payload, p);
        if (!j) {
            std::cerr << p.to_string();
            return cli::kBadInput;
        }
        devices = *j;
    }
    Json lights = lights_from_z2m_devices(devices, base, problems);
    for (const auto& p : problems.list()) std::cerr << p.to_string() << "\n";
    std::cout << dump_json(Json{{"lights", lights}}, 2) << "\n";
    std::cerr << lights.size() << " lights found; paste them into room.json \"lights\"\n";
    return cli::kOk;
}

Scene single_light_scene(const std::string& light, double brightness) {
    Scene s;
    s.id = "@test";
    s.lights[light] = LightTarget{true, brightness, 2700.0, std::nullopt};
    return s;
}

int test(const cli::Args& args) {
    Problems problems;
    Library lib = load_library(args.get("--library"), problems);
    for (const auto& p : problems.list())
        if (p.file == "room.json") std::cerr << p.to_string() << "\n";
    SteadyClock clock;
    std::unique_ptr<MqttClient> mqtt;
    if (lib.room.mqtt) {
        std::string error;
        MqttOptions o = mqtt_options_from(*lib.room.mqtt, lib.dir.string(), &error);
        o.client_id += "-test";
        o.will_topic.clear();
        mqtt = std::make_unique<MqttClient>(o);
    }
    LightsDriverOptions lo;
    lo.lights = lib.room.lights;
    LightsDriver lights(lo, mqtt.get(), clock);
    lights.start();
    if (mqtt) {
        std::string error;
        mqtt->start(&error);
        for (int i = 0; i < 50 && !mqtt->connected(); ++i) clock.wait_until(clock.now() + Ms{100});
        if (!mqtt->connected()) std::cerr << "the MQTT broker is not reachable; MQTT lights cannot be tested\n";
    }
    const std::string only = args.get("--light");
    for (const auto& l : lib.room.lights) {
        if (!only.empty() && l.id != only) continue;
        std::cout << "light " << l.id << " (" << to_string(l.dialect) << "): up over 3 s" << std::endl;
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
        {
            std::string error;
            auto f = SndFile::open_write(tone, 48000, 1, AudioFormat::WavFloat, &error);
            std::vector<float> buf(48000 * 2);
            for (std::size_t i = 0; i < buf.size(); ++i) {
                const double env = std::min({1.0, static_cast<double>(i) / 4800.0, static_cast<double>(buf.size() - i) / 4800.0});
                buf[i] = static_cast<float>(0.5 * env * std::sin(2 * M_PI * 440.0 * static_cast<double>(i) / 48000.0));
            }
            if (f) f->write(buf.data(), static_cast<std::int64_t>(buf.size()));
        }
        for (const auto& group : lib.room.audio->outputs) {
            AudioDriverOptions ao;
            ao.library_dir = tone.parent_path();
            ao.config = *lib.room.audio;
            ao.config.outputs = {group};
            ao.sink = args.get("--audio", "portaudio") == "null" ? AudioSink::Null : AudioSink::PortAudio;
            AudioDriver audio(ao, {}, {});
            audio.start();
            std::cout << "output " << group.id << ": tone at -30 dB (" << audio.health()["detail"].get<std::string>() << ")" << std::endl;
            if (audio.device_open()) {
                audio.apply({Ms{0}, PlaySound{tone.filename().string(), -30}}, clock.now());
                clock.wait_until(clock.now() + Ms{2500});
            }
            audio.stop();
        }
        std::error_code ec;
        fs::remove(tone, ec);
    }
    std::cout << "done" << std::endl;
    return cli::kOk;
}

} // namespace

int cmd_devices(const cli::Args& args) {
    const std::string verb = args.positional[0];
    if (verb == "discover") return discover(args);
    if (verb == "test") {
        if (!args.has("--library")) {
            std::cerr << "stillroom devices test: --library DIR is required\n";
            return cli::kUsage;
        }
        return test(args);
    }
    std::cerr << "stillroom devices: expected discover or test, got \"" << verb << "\"\n";
    return cli::kUsage;
}

} // namespace stillroom::app
