// Everything `stillroom run` starts around the room, in one place: the room runtime, its
// journal, the log, audio, MQTT with the lights and the engine's own topics, and the
// engine thread. Integration tests start exactly this.
#pragma once

#include "control/auth.hpp"
#include "control/event_hub.hpp"
#include "control/http_api.hpp"
#include "control/mqtt_bridge.hpp"
#include "devices/audio_driver.hpp"
#include "devices/lights_driver.hpp"
#include "devices/log_driver.hpp"
#include "devices/midi.hpp"
#include "devices/mqtt_client.hpp"
#include "devices/mqtt_cue_driver.hpp"
#include "devices/vitals_driver.hpp"
#include "library/library_files.hpp"
#include "library/library_watcher.hpp"
#include "playlists/loudness_worker.hpp"
#include "runtime/room.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>

namespace stillroom {

struct RoomServicesOptions {
    std::filesystem::path state_dir;
    std::string audio = "portaudio"; // portaudio | null | off
    bool null_audio_when_no_device = false;
    std::filesystem::path audio_sink_executable; // default: beside this program
    std::ostream* log = &std::cout;              // nullptr: no narration
    std::string listen; // HOST:PORT for the tablet; "" = room.json; "off" = none
    DeviceClock* auth_clock =
        nullptr; // logins and the PIN throttle (tests); default: the device clock
    // Which library the room starts with (library/library_last_good.hpp): "disk" or
    // "last-good", the disk's errors (problems_json), and whether the library given itself
    // has errors (then no session starts).
    std::string library_in_force = "disk";
    Json library_problems = Json::array();
    bool library_has_errors = false;
    // Runs on the engine thread after every tick, at least every `engine_turn_every`
    // (the systemd watchdog: app/systemd_notify.hpp).
    std::function<void()> engine_turn;
    Ms engine_turn_every{1000};
    // Changes every library the room reloads before it is used (the demo's broker and
    // monitors, app/demo_broker.hpp); optional.
    std::function<void(Library&)> adjust_library;
};

class RoomServices {
public:
    // `clock` is the session clock (the engine's); `device_clock` real time for the
    // drivers' own pacing, retries and watchdogs (engine/clock.hpp).
    RoomServices(Library library, RoomServicesOptions options, Clock& clock,
                 DeviceClock& device_clock);
    ~RoomServices();

    // Starts drivers, resumes an unfinished session, then runs the engine thread.
    // Returns the resumed session's id, if any.
    std::optional<std::string> start();
    void stop();

    Room& room() { return *room_; }
    LightsDriver* lights() { return lights_.get(); }
    AudioDriver* audio() { return audio_.get(); }
    MqttClient* mqtt() { return mqtt_.get(); }
    MqttBridge* bridge() { return bridge_.get(); }
    VitalsDriver* vitals() { return vitals_.get(); }
    MidiDriver* midi() { return midi_.get(); }
    HttpApi* http() { return http_.get(); }
    EventHub& events() { return events_; }
    LibraryWatcher* watcher() { return watcher_.get(); }

private:
    RoomServicesOptions options_;
    Clock& clock_;
    DeviceClock& device_clock_;
    std::unique_ptr<Room> room_;
    std::unique_ptr<LogDriver> log_;
    std::unique_ptr<MqttClient> mqtt_;
    std::unique_ptr<MqttCueDriver> mqtt_cues_; // template mqtt cues
    std::unique_ptr<VitalsDriver> vitals_;     // room.json vitals: the monitors on MQTT
    std::unique_ptr<LightsDriver> lights_;
    std::unique_ptr<MqttBridge> bridge_;
    std::unique_ptr<AudioDriver> audio_;
    std::unique_ptr<MidiDriver> midi_;
    EventHub events_;
    std::unique_ptr<Auth> auth_;
    std::unique_ptr<LibraryFiles> files_;
    std::unique_ptr<HttpApi> http_;
    std::unique_ptr<LibraryWatcher> watcher_;
    std::unique_ptr<LoudnessWorker> loudness_; // after watcher_: its callback polls the watcher
    std::atomic<bool> stop_{false};
    std::thread engine_;
    bool started_ = false;
};

} // namespace stillroom
