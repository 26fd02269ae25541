// Wiring the room.
#include "app/room_services.hpp"

#include "app/cli.hpp"

#include "library/library_last_good.hpp"
#include "playlists/sndfile.hpp"
#include "playlists/test_tone.hpp"

#include <algorithm>
#include <cmath>

namespace stillroom {

RoomServices::RoomServices(Library library, RoomServicesOptions options, Clock& clock,
                           DeviceClock& device_clock)
    : options_(std::move(options)), clock_(clock), device_clock_(device_clock) {
    const std::filesystem::path library_dir = library.dir;
    room_ = std::make_unique<Room>(std::move(library), options_.state_dir, clock_);
    room_->set_library_status(options_.library_in_force, options_.library_problems,
                              options_.library_has_errors);
    if (options_.log) {
        log_ = std::make_unique<LogDriver>(*options_.log);
        room_->add_driver(log_.get());
    }
    const RoomConfig& rc = room_->library().room;
    // MQTT: one connection for the lights and the engine's own topics.
    if (rc.mqtt) {
        std::string error;
        MqttOptions mo = mqtt_options_from(*rc.mqtt, library_dir.string(), &error);
        if (!error.empty()) std::cerr << "stillroom: " << error << "\n";
        // A frozen broker noticed in seconds, and a late handshake retried (docs/clinic.md).
        mo.probe_topic = rc.mqtt->base_topic + "/probe";
        mo.handshake_timeout = Ms{2000};
        mqtt_ = std::make_unique<MqttClient>(mo, device_clock_);
    }
    // Lights: real dialects over MQTT, simulated ones in-process.
    if (!rc.lights.empty()) {
        LightsDriverOptions lo;
        lo.lights = rc.lights;
        lights_ = std::make_unique<LightsDriver>(lo, mqtt_.get(), clock_, device_clock_);
        room_->add_driver(lights_.get());
    }
    if (mqtt_) {
        mqtt_cues_ = std::make_unique<MqttCueDriver>(*mqtt_, mqtt_->anonymous());
        room_->add_driver(mqtt_cues_.get());
        MqttBridgeOptions bo;
        bo.base_topic = rc.mqtt->base_topic;
        bo.room_id = rc.room;
        bo.room_name = rc.name;
        bo.homeassistant = rc.mqtt->homeassistant;
        bo.support_url = rc.mqtt->support_url;
        for (const auto& [id, t] : room_->library().templates)
            bo.templates.emplace_back(id, t.name);
        bridge_ = std::make_unique<MqttBridge>(bo, *mqtt_, *room_, device_clock_);
        MqttBridge* b = bridge_.get();
        room_->on_change([b](const Json& state) { b->publish_state(state); });
        if (rc.vitals) {
            Room* r = room_.get();
            vitals_ = std::make_unique<VitalsDriver>(
                *rc.vitals, *mqtt_, device_clock_,
                [r](const std::string& source, VitalsPayload payload, bool spot) {
                    r->vitals_reading(source, std::move(payload), spot);
                },
                std::cerr);
            room_->add_driver(vitals_.get());
        }
    }
    if (rc.audio && options_.audio != "off") {
        AudioDriverOptions ao;
        ao.library_dir = library_dir;
        ao.config = *rc.audio;
        ao.sink = options_.audio == "null" ? AudioSink::Null : AudioSink::PortAudio;
        ao.null_when_no_device = options_.null_audio_when_no_device;
        ao.sink_executable = options_.audio_sink_executable;
        Room* r = room_.get();
        audio_ = std::make_unique<AudioDriver>(
            ao, clock_, device_clock_, [r] { return r->desired_now(); },
            [r](const std::string& file, const std::string&) {
                Command c;
                c.kind = CommandKind::TrackFailed;
                c.file = file;
                r->command(c);
            });
        audio_->set_layer_fault_listener(
            [r](const std::string& file, const std::string& piece, const std::string& why) {
                r->layer_fault(file, piece, why);
            });
        room_->add_driver(audio_.get());
    }
    // The tablet: HTTP API, SSE, PIN login.
    room_->on_change([this](const Json& state) { events_.publish("state", state); });
    room_->on_reminder([this](const Reminder& r) {
        events_.publish("reminder", {{"cue", r.cue}, {"text", r.text}, {"vitals", r.vitals}});
    });
    // Loudness is measured on its own thread, never in a request; when it has measured what
    // was asked, the library is loaded again to take the new gains.
    loudness_ = std::make_unique<LoudnessWorker>([this] {
        if (watcher_) watcher_->poll(true);
    });
    // The library's files for the tablet and (when room.json allows) the clinic over MQTT.
    // The watcher (made below, always) loads, checks and applies the saved library.
    files_ = std::make_unique<LibraryFiles>(library_dir,
                                            [this] { return watcher_->apply_now().to_json(); });
    files_->set_loudness_worker(loudness_.get());
    if (bridge_ && rc.mqtt->library_commands) {
        LibraryFiles* files = files_.get();
        bridge_->set_library_put(
            [files](const std::string& kind, const std::string& name, const Json& content) {
                const auto k = file_kind_from_path(kind);
                if (!k || *k == FileKind::Room) // users and PINs never travel over MQTT
                    return CommandResult{
                        false, 400, "kind: expected playlists, scenes or sessions", {}};
                const FileResult r = files->put(*k, name, dump_json(content, 2));
                std::string message;
                if (r.status != 200) {
                    message = r.body.value("error", "not saved");
                } else if (r.body.contains("not_applied") && r.body["not_applied"].is_array() &&
                           !r.body["not_applied"].empty()) {
                    const Json& first = r.body["not_applied"][0];
                    message = "saved, but the library is not in force: " +
                              first.value("file", std::string()) + ": " +
                              first.value("error", std::string());
                }
                return CommandResult{r.status == 200, r.status, message, r.body};
            });
    }
    if (options_.listen != "off") {
        auth_ = std::make_unique<Auth>(rc.control.users,
                                       options_.auth_clock ? *options_.auth_clock : device_clock_,
                                       options_.state_dir / "tokens.json");
        auth_->set_min_pin_digits(rc.control.min_pin_digits);
        HttpApiOptions ho;
        ho.host = rc.control.host;
        ho.port = rc.control.port;
        ho.allowed_hosts = rc.control.hosts;
        if (!options_.listen.empty()) cli::apply_listen(options_.listen, ho.host, ho.port);
        if (rc.control.tls) {
            auto resolve = [&](const std::string& p) {
                return std::filesystem::path(p).is_absolute() ? p : (library_dir / p).string();
            };
            ho.tls = std::pair{resolve(rc.control.tls->first), resolve(rc.control.tls->second)};
        }
        LightsDriver* lights = lights_.get();
        Clock* room_clock = &clock_;
        if (lights)
            ho.test_light = [lights, room_clock](const std::string& id) {
                return lights->test_light(id, room_clock->now());
            };
        AudioDriver* audio = audio_.get(); // made above; null when the room has no audio
        const std::filesystem::path tone = options_.state_dir / "test-tone.wav";
        ho.test_tone = [audio, tone, room_clock] {
            if (!audio || !audio->device_open()) return false;
            write_test_tone(tone);
            audio->apply({Ms{0}, PlaySound{tone.string(), -30, false}}, room_clock->now());
            return true;
        };
        ho.state_dir = options_.state_dir;
        http_ = std::make_unique<HttpApi>(ho, *room_, *auth_, events_, *files_, device_clock_);
    }
    {
        Room* r = room_.get();
        Auth* a = auth_.get();
        AudioDriver* audio = audio_.get();
        const std::filesystem::path state_dir = options_.state_dir;
        auto adjust = options_.adjust_library;
        watcher_ = std::make_unique<LibraryWatcher>(
            library_dir, device_clock_,
            [r, audio, library_dir, state_dir, adjust](Library lib) {
                // A library that loaded cleanly is the one the room falls back on at the next
                // start if the files on disk then have errors.
                std::string error;
                if (!save_last_good(library_dir, state_dir, lib.version, &error))
                    std::cerr << "stillroom: cannot keep a copy of the library: " << error << "\n";
                // Output gains apply live, ramped; a changed output layout waits for a restart.
                if (audio && lib.room.audio) {
                    const auto restart = audio->set_output_gains(lib.room.audio->outputs);
                    if (!restart.empty())
                        std::cerr << "stillroom: audio outputs changed (" << restart.front()
                                  << (restart.size() > 1 ? ", ..." : "")
                                  << "): they apply after a restart\n";
                }
                if (adjust) adjust(lib);
                r->set_library(std::move(lib));
            },
            [a, this](const ControlConfig& control) {
                if (!a) return;
                a->set_min_pin_digits(control.min_pin_digits);
                a->set_users(control.users);
                events_.wake(); // streams whose user changed end now, not at their keep-alive
            });
        watcher_->set_loudness_worker(loudness_.get());
        // Library faults are the curator's, not a device's: they are in the state's
        // `library.problems`, never in the device list or the session's record.
        watcher_->on_rejected([r](Json problems) { r->library_rejected(std::move(problems)); });
    }
    if (rc.midi) {
        MidiActions actions;
        Room* r = room_.get();
        LightsDriver* l = lights_.get();
        actions.command = [r](const Command& c) { r->command_by(c, "midi"); };
        actions.volume_db = [r] {
            auto d = r->desired_now();
            // The fader sets the level without overlays (arc + trim): the "db" form of the
            // volume command, which keeps the therapist's trim across phases.
            return d ? std::min(d->volume_arc_db + d->volume_trim_db, d->volume_ceiling_db) : -90.0;
        };
        actions.depth = [r] {
            auto d = r->desired_now();
            return d ? std::clamp(d->depth_arc + d->depth_trim, 0.0, 1.0) : 0.0;
        };
        if (l) {
            actions.set_brightness_trim = [l](double t) { l->set_trim(t); };
            actions.brightness_trim = [l] { return l->trim(); };
        }
        actions.max_volume_db = rc.max_volume_db();
        midi_ = std::make_unique<MidiDriver>(*rc.midi, actions, device_clock_);
        room_->add_driver(midi_.get());
    }
}

RoomServices::~RoomServices() {
    stop();
}

std::optional<std::string> RoomServices::start() {
    if (started_) return std::nullopt;
    started_ = true;
    if (audio_) audio_->start();
    if (bridge_) bridge_->start();
    if (mqtt_) {
        std::string error;
        if (!mqtt_->start(&error)) std::cerr << "stillroom: mqtt: " << error << "\n";
        if (mqtt_->anonymous())
            std::cerr << "stillroom: mqtt: connecting ANONYMOUSLY (room.json has no "
                         "mqtt.username): anyone on the broker can command this room; see "
                         "docs/security.md and `stillroom broker-config`\n";
    }
    if (lights_) lights_->start();
    if (midi_) midi_->start();
    if (watcher_) watcher_->start();
    if (http_) {
        std::string error;
        if (!http_->start(&error)) {
            std::cerr << "stillroom: tablet: " << error << "\n";
            http_.reset();
        }
    }
    auto resumed = room_->resume();
    room_->apply_retention();
    engine_ = std::thread(
        [this] { room_->run(stop_, options_.engine_turn, options_.engine_turn_every); });
    return resumed;
}

void RoomServices::stop() {
    if (!started_) return;
    started_ = false;
    stop_ = true;
    room_->wake();
    if (engine_.joinable()) engine_.join();
    if (http_) http_->stop();
    if (watcher_) watcher_->stop();
    loudness_.reset(); // stops a measurement in progress; no thread uses it after this
    if (files_) files_->set_loudness_worker(nullptr);
    if (watcher_) watcher_->set_loudness_worker(nullptr);
    if (audio_) audio_->stop();
    if (midi_) midi_->stop();
    if (lights_) lights_->stop();
    if (bridge_) bridge_->stop();
    if (mqtt_) mqtt_->stop();
}

} // namespace stillroom
