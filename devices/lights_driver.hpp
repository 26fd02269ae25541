// The room's lights: holds what every light should be (a fade per light), makes the real
// lights follow over MQTT in their own dialects, and says it again after a broker
// reconnect, a light coming back online, or a restart of Stillroom, always with a fade.
//
// The driver knows no scene files: every SetScene effect and the desired state carry the
// scene resolved per light from the session's own snapshot. A light with "deep" values
// follows the session's depth (SetDepth): its target moves between base and deep as the
// music's layers do, over the same ramp (scenes/light_depth.hpp).
//
// Fades use the light's native transition where it has one, as a few segments (at most a
// minute each) whose end points follow the perceptual curve; otherwise the driver steps at
// the light's max_rate_hz. Each light has a rate limit; the newest target always wins and
// nothing queues up behind a slow network. Simulated lights just hold their state.
#pragma once

#include "devices/light_dialects.hpp"
#include "devices/mqtt_client.hpp"
#include "engine/clock.hpp"
#include "engine/room_driver.hpp"
#include "scenes/light_fade.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace stillroom {

struct LightsDriverOptions {
    std::vector<LightConfig> lights;
    Ms reassert_fade{4000}; // how a light that comes back is brought to its target
    Ms max_segment{60000};  // the longest native transition per command
    Ms catch_up_fade{2000}; // what a quirk held back follows over this
};

class LightsDriver final : public RoomDriver {
public:
    // `mqtt` may be null when every light is simulated. Fades run on `clock` (session
    // time), and the worker sleeps on it until the next step is due (so a sped-up demo
    // steps sped up); `device_clock` is kept for the callers' wiring.
    LightsDriver(LightsDriverOptions options, MqttLink* mqtt, Clock& clock,
                 DeviceClock& device_clock);
    ~LightsDriver() override;

    void start();
    void stop();

    std::string name() const override { return "lights"; }
    // Only set targets and wake the worker (no I/O; the lock is shared with the worker,
    // whose sends queue on the MQTT client and never wait for the network): this driver's
    // inbox is its lights' targets. Runs on: the engine thread.
    void apply(const Effect& effect, MonoTime at) override;
    void reconcile(const DesiredState& state, MonoTime at) override;
    Json health() const override;

    // A brightness trim (0..1, perceived) over every light, from a MIDI fader. Any thread.
    void set_trim(double trim);
    double trim() const;
    // Fades the lights named in `lights` to their targets (used by `devices test` and the
    // clinic screen; the caller resolves the scene, scenes/scene.hpp resolve_scene).
    void show_scene(const SceneLights& lights, Ms fade, MonoTime at);
    // Fades one light up for a check and back to where it should be. False if unknown.
    bool test_light(const std::string& id, MonoTime at);
    // The depth the lights follow (the last SetDepth or reconcile). Any thread.
    double depth() const;
    // What each light is now (the fade evaluated at now). Any thread.
    std::map<std::string, LightState> current() const;
    // Commands sent per light so far (benchmarks, tests).
    std::map<std::string, int> commands_sent() const;
    // Runs due work now and returns when work is next due (a fade step, the end of a
    // rate-limit gap, a test light's way back; at most a minute ahead). The worker thread
    // sleeps until then unless woken; tests may call it directly.
    MonoTime service();

private:
    struct Light {
        LightConfig config;
        bool has_target = false;
        std::optional<LightTarget> scene_target; // the scene's, before depth (has "deep")
        LightFade fade;
        std::vector<FadeSegment> segments;
        std::size_t next_segment = 0;
        std::optional<LightState> last_sent;
        MonoTime last_sent_at{};
        std::optional<LightState>
            device;            // where the device was told to go (trimmed); none: unknown
        MonoTime busy_until{}; // the end of the device's current transition
        bool available = true;
        bool reassert = false;
        int sent = 0;
        std::optional<LightState> restore; // after a test: back to this
        MonoTime restore_at{};
    };
    void start_fade(Light& light, const LightState& target, Ms fade, MonoTime at);
    void apply_scene_locked(const SceneLights& lights, Ms fade, MonoTime at);
    void apply_depth_locked(double depth, Ms ramp, MonoTime at);
    void send(Light& light, const LightState& state, Ms transition, MonoTime now);
    MonoTime service_light(Light& light, MonoTime now);
    MonoTime catch_up(Light& light, MonoTime now);
    void handle_message(const std::string& topic, const std::string& payload);

    LightsDriverOptions options_;
    MqttLink* mqtt_;
    Clock& clock_;
    mutable std::mutex mutex_;
    std::vector<Light> lights_;
    double trim_ = 1.0;
    double depth_ = 0; // the session's depth target (0..1)
    std::atomic<bool> running_{false};
    std::atomic<bool> wake_{false};
    std::atomic<bool> reassert_all_{false}; // set on every (re)connect, applied by service()
    DeviceClock& wait_clock_;
    Wakeup wakeup_;
    std::thread worker_;
};

} // namespace stillroom
