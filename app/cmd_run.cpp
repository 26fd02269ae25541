// stillroom run / demo: the room daemon.
#include "app/commands.hpp"
#include "app/room.hpp"
#include "app/console.hpp"
#include "devices/audio_driver.hpp"
#include "control/mqtt_bridge.hpp"
#include "devices/lights_driver.hpp"
#include "devices/log_driver.hpp"
#include "devices/mqtt_client.hpp"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <pthread.h>
#include <thread>
#include <unistd.h>

namespace stillroom::app {

namespace fs = std::filesystem;

namespace {

// Finds the bundled example library: beside the executable's source tree or installed.
fs::path find_example_library() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
        if (fs::exists(dir / "examples/library/room.json", ec)) return dir / "examples/library";
        if (fs::exists(dir / "share/stillroom/library/room.json", ec)) return dir / "share/stillroom/library";
    }
    return "examples/library";
}

struct SignalWaiter {
    sigset_t set{};
    SignalWaiter() {
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, nullptr); // every thread started after inherits it
    }
};

struct RunOptions {
    fs::path library_dir;
    fs::path state_dir;
    double speed = 1;
    std::string start;
    bool demo = false;
    bool console = false;
    std::string audio = "portaudio"; // portaudio | null | off
};

int run_room(RunOptions o) {
    const fs::path& library_dir = o.library_dir;
    fs::path state_dir = o.state_dir;
    const double speed = o.speed;
    const std::string& start = o.start;
    const bool demo = o.demo;
    const bool console = o.console;
    SignalWaiter signals;
    Problems problems;
    Library lib = load_library(library_dir, problems);
    check_library(lib, problems);
    std::size_t warnings = 0;
    for (const auto& p : problems.list()) {
        if (p.severity == Severity::Error) std::cerr << p.to_string() << "\n";
        else ++warnings;
    }
    if (problems.error_count())
        std::cerr << "stillroom: the files above have errors and are left out\n";
    if (warnings)
        std::cerr << "stillroom: " << warnings << " warnings (stillroom check --library "
                  << library_dir.string() << " lists them)\n";
    if (lib.templates.empty()) {
        std::cerr << "stillroom: no usable session template in " << library_dir.string() << "\n";
        return cli::kBadInput;
    }
    if (state_dir.empty()) state_dir = library_dir / lib.room.state_dir;
    std::unique_ptr<Clock> clock;
    if (speed != 1.0) clock = std::make_unique<ScaledClock>(speed);
    else clock = std::make_unique<SteadyClock>();
    Room room(std::move(lib), state_dir, *clock);
    LogDriver log(std::cout);
    room.add_driver(&log);
    const RoomConfig& rc = room.library().room;

    // MQTT: one connection for the lights and the engine's own topics.
    std::unique_ptr<MqttClient> mqtt;
    if (rc.mqtt) {
        std::string error;
        MqttOptions mo = mqtt_options_from(*rc.mqtt, library_dir.string(), &error);
        if (!error.empty()) std::cerr << "stillroom: " << error << "\n";
        mqtt = std::make_unique<MqttClient>(mo);
    }
    // Lights: real dialects over MQTT, simulated ones in-process.
    std::unique_ptr<LightsDriver> lights;
    if (!rc.lights.empty()) {
        LightsDriverOptions lo;
        lo.lights = rc.lights;
        lo.scenes = room.library().scenes;
        lights = std::make_unique<LightsDriver>(lo, mqtt.get(), *clock);
        room.add_driver(lights.get());
    }
    std::unique_ptr<MqttBridge> bridge;
    if (mqtt) {
        MqttBridgeOptions bo;
        bo.base_topic = rc.mqtt->base_topic;
        bo.room_id = rc.room;
        bo.room_name = rc.name;
        bo.homeassistant = rc.mqtt->homeassistant;
        for (const auto& [id, t] : room.library().templates) bo.templates.emplace_back(id, t.name);
        bridge = std::make_unique<MqttBridge>(bo, *mqtt, room);
        MqttBridge* b = bridge.get();
        room.on_change([b](const Json& state) { b->publish_state(state); });
        bridge->start();
        std::string error;
        if (!mqtt->start(&error)) std::cerr << "stillroom: mqtt: " << error << "\n";
    }
    if (lights) lights->start();
    std::unique_ptr<AudioDriver> audio;
    if (speed != 1.0 && room.library().room.audio && o.audio != "off")
        std::cerr << "stillroom: audio is off with --speed (music cannot be sped up); render plays a session fast\n";
    if (room.library().room.audio && o.audio != "off" && speed == 1.0) {
        AudioDriverOptions ao;
        ao.library_dir = library_dir;
        ao.config = *room.library().room.audio;
        ao.sink = o.audio == "null" ? AudioSink::Null : AudioSink::PortAudio;
        ao.null_when_no_device = demo;
        audio = std::make_unique<AudioDriver>(
            ao, [&room] { return room.desired_now(); },
            [&room](const std::string& file, const std::string&) {
                Command c;
                c.kind = CommandKind::TrackFailed;
                c.file = file;
                room.command(c);
            });
        audio->start();
        room.add_driver(audio.get());
    }
    room.on_reminder([](const Reminder& r) {
        std::cout << "REMINDER: " << r.text << (r.vitals ? " (enter vitals)" : "") << std::endl;
    });

    std::cout << "stillroom: room " << room.library().room.room << ", library " << library_dir.string()
              << ", state " << state_dir.string() << std::endl;
    if (auto id = room.resume()) {
        std::cout << "stillroom: resumed session " << *id << std::endl;
    } else if (!start.empty()) {
        CommandResult r = room.start({start, demo ? "demo" : ""});
        if (!r.ok) {
            std::cerr << "stillroom: cannot start \"" << start << "\": " << r.message << "\n";
            return cli::kBadInput;
        }
    }
    std::atomic<bool> stop{false};
    std::thread engine([&] { room.run(stop); });
    if (console) {
        // Detached: blocked in a read of stdin until the process ends.
        std::thread([&room] { run_console(room, std::cin, std::cout); }).detach();
    }
    int sig = 0;
    sigwait(&signals.set, &sig);
    std::cout << "stillroom: stopping (signal " << sig << "); an unfinished session resumes on the next start"
              << std::endl;
    stop = true;
    room.wake();
    engine.join();
    if (audio) audio->stop();
    if (lights) lights->stop();
    if (bridge) bridge->stop();
    if (mqtt) mqtt->stop();
    return cli::kOk;
}

double parse_speed(const cli::Args& args) {
    const std::string s = args.get("--speed", "1");
    try {
        const double v = std::stod(s);
        if (v >= 1 && v <= 10000) return v;
    } catch (const std::exception&) {
    }
    throw std::invalid_argument("--speed expects a number from 1 to 10000, got \"" + s + "\"");
}

} // namespace

std::string parse_audio(const cli::Args& args) {
    const std::string a = args.get("--audio", "portaudio");
    if (a != "portaudio" && a != "null" && a != "off")
        throw std::invalid_argument("--audio expects portaudio, null or off, got \"" + a + "\"");
    return a;
}

int cmd_run(const cli::Args& args) {
    return run_room({args.get("--library"), args.get("--state-dir"), parse_speed(args), args.get("--start"), false,
                     args.has("--console"), parse_audio(args)});
}

int cmd_demo(const cli::Args& args) {
    fs::path library = args.has("--library") ? fs::path(args.get("--library")) : find_example_library();
    fs::path state = args.get("--state-dir");
    if (state.empty()) state = fs::temp_directory_path() / ("stillroom-demo-" + std::to_string(getpid()));
    return run_room({library, state, parse_speed(args), args.get("--start", "im-ketamine"), true,
                     isatty(STDIN_FILENO) || args.has("--console"), parse_audio(args)});
}

} // namespace stillroom::app
