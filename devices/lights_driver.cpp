// The lights driver.
#include "devices/lights_driver.hpp"

#include "scenes/light_depth.hpp"

#include <algorithm>
#include <iostream>

namespace stillroom {

namespace {

// The longest the worker sleeps with nothing due (a belt: every change rings it anyway).
constexpr Ms kIdleCheck{60'000};

// Two states are the same for a device when they would produce the same command.
bool same_on_device(const LightConfig& light, const LightState& a, const LightState& b) {
    return encode_light(light, a, Ms{0}) == encode_light(light, b, Ms{0});
}

LightState trimmed(const LightState& s, double trim) {
    LightState t = s;
    t.brightness = s.brightness * trim;
    return t;
}

} // namespace

LightsDriver::LightsDriver(LightsDriverOptions options, MqttLink* mqtt, Clock& clock,
                           DeviceClock& device_clock)
    : options_(std::move(options)), mqtt_(mqtt), clock_(clock), wait_clock_(device_clock) {
    for (const auto& c : options_.lights) {
        Light l;
        l.config = c;
        lights_.push_back(std::move(l));
    }
    if (mqtt_) {
        for (const auto& c : options_.lights) {
            const std::string topic = availability_topic(c);
            if (!topic.empty()) mqtt_->subscribe(topic);
        }
        mqtt_->on_message(
            [this](const std::string& t, const std::string& p) { handle_message(t, p); });
        // After every (re)connect: say it all again, gently.
        // The MQTT network thread calls this inside libmosquitto's callback lock: it only
        // raises a flag (taking mutex_ here would order mutex_ after libmosquitto's lock
        // while send() orders it before the client's handle lock: TSan's lock-order report).
        mqtt_->on_connect([this] {
            reassert_all_ = true;
            wake_ = true;
            wakeup_.wake();
        });
    }
}

LightsDriver::~LightsDriver() {
    stop();
}

void LightsDriver::start() {
    if (running_.exchange(true)) return;
    worker_ = std::thread([this] {
        // Runs on: the lights worker thread.
        // Sleeps until the next fade step, rate-limit gap or restore is due, or until a
        // scene, a message or a reconnect rings the doorbell: an idle room does not wake.
        while (running_.load()) {
            wake_ = false;
            const MonoTime due = service();
            if (wake_.load()) continue; // flagged while servicing
            clock_.wait_until(std::min(due, clock_.now() + kIdleCheck), wakeup_);
        }
    });
}

void LightsDriver::stop() {
    if (!running_.exchange(false)) return;
    wakeup_.wake();
    if (worker_.joinable()) worker_.join();
}

void LightsDriver::handle_message(const std::string& topic, const std::string& payload) {
    // Runs on: the MQTT network thread. Only flags work; never blocks for long.
    std::lock_guard lock(mutex_);
    for (auto& l : lights_) {
        if (topic != availability_topic(l.config)) continue;
        auto online = parse_availability(payload);
        if (!online) {
            std::cerr << "stillroom: lights: ignored availability payload for " << l.config.id
                      << std::endl;
            return;
        }
        if (*online && !l.available)
            l.reassert = l.has_target; // back: fade it to where it should be
        l.available = *online;
        wake_ = true;
        wakeup_.wake();
    }
}

void LightsDriver::start_fade(Light& light, const LightState& target, Ms fade, MonoTime at) {
    // From where the light is now; a light whose state is unknown fades from its target,
    // i.e. the device's own transition takes it from wherever it really is.
    const LightState from = light.has_target ? light.fade.at(at) : target;
    light.fade = {from, target, at, fade};
    light.has_target = true;
    light.segments =
        fade_segments(light.fade, at,
                      light.config.transition
                          ? std::min(options_.max_segment, max_native_transition(light.config))
                          : Ms{0});
    light.next_segment = 0;
}

void LightsDriver::apply_scene_locked(const SceneLights& lights, Ms fade, MonoTime at) {
    for (auto& l : lights_) {
        const auto target = lights.find(l.config.id);
        if (target == lights.end()) continue; // the scene leaves this light alone
        const LightState current = l.has_target ? l.fade.at(at) : LightState{};
        l.scene_target = target->second;
        start_fade(l, light_state_for(at_depth(target->second, depth_), current), fade, at);
    }
    wake_ = true;
}

void LightsDriver::apply_depth_locked(double depth, Ms ramp, MonoTime at) {
    depth_ = std::clamp(depth, 0.0, 1.0);
    for (auto& l : lights_) {
        if (!l.has_target || !l.scene_target || !l.scene_target->deep) continue;
        // Toward the new depth over the music's ramp; a scene fade still under way keeps
        // its own end (the depth moves its destination, not its pace).
        const Ms length = std::max(ramp, std::max(l.fade.end() - at, Ms{0}));
        start_fade(l, light_state_for(at_depth(*l.scene_target, depth_), l.fade.at(at)), length,
                   at);
    }
    wake_ = true;
}

void LightsDriver::apply(const Effect& effect, MonoTime at) {
    if (const auto* d = std::get_if<SetDepth>(&effect.body)) {
        std::lock_guard lock(mutex_);
        apply_depth_locked(d->depth, d->ramp, at);
        wakeup_.wake();
        return;
    }
    const auto* s = std::get_if<SetScene>(&effect.body);
    if (!s) return;
    std::lock_guard lock(mutex_);
    apply_scene_locked(s->lights, s->fade, at);
    wakeup_.wake();
}

double LightsDriver::depth() const {
    std::lock_guard lock(mutex_);
    return depth_;
}

void LightsDriver::show_scene(const SceneLights& lights, Ms fade, MonoTime at) {
    std::lock_guard lock(mutex_);
    apply_scene_locked(lights, fade, at);
    wakeup_.wake();
}

bool LightsDriver::test_light(const std::string& id, MonoTime at) {
    std::lock_guard lock(mutex_);
    for (auto& l : lights_) {
        if (l.config.id != id) continue;
        const LightState was = l.has_target ? l.fade.at(l.fade.end()) : LightState{};
        l.restore = was;
        l.restore_at = at + Ms{3000};
        start_fade(l, LightState{true, 0.6, 2700.0, std::nullopt}, Ms{1500}, at);
        wake_ = true;
        wakeup_.wake();
        return true;
    }
    return false;
}

void LightsDriver::reconcile(const DesiredState& state, MonoTime at) {
    // Rebuild each light's fade from the session's recent scene changes, then say it to
    // every light with a gentle fade (a restart, a resume).
    std::lock_guard lock(mutex_);
    depth_ = std::clamp(state.depth_target, 0.0, 1.0);
    for (const auto& sf : state.scene_fades) {
        const MonoTime start = at - (state.t - sf.start);
        apply_scene_locked(sf.lights, sf.fade, start);
    }
    for (auto& l : lights_)
        l.reassert = l.has_target;
    wake_ = true;
    wakeup_.wake();
}

void LightsDriver::set_trim(double trim) {
    std::lock_guard lock(mutex_);
    trim_ = std::clamp(trim, 0.0, 1.0);
    for (auto& l : lights_)
        l.reassert = l.has_target;
    wake_ = true;
    wakeup_.wake();
}

double LightsDriver::trim() const {
    std::lock_guard lock(mutex_);
    return trim_;
}

void LightsDriver::send(Light& light, const LightState& state, Ms transition, MonoTime now) {
    const LightState out = trimmed(state, trim_);
    light.last_sent = state;
    light.last_sent_at = now;
    if (light.config.dialect == Dialect::Simulated) return;
    if (!mqtt_) return;
    LightCommand cmd = encode_light_change(light.config, light.device, out, transition);
    light.device = cmd.heading;
    light.busy_until = now + transition;
    for (const auto& m : cmd.messages) {
        mqtt_->publish(m.topic, m.payload, m.qos, m.retain); // QoS 1, never retained
        ++light.sent;
    }
}

MonoTime LightsDriver::service_light(Light& l, MonoTime now) {
    const MonoTime never = now + Ms{3600000};
    if (l.restore && now >= l.restore_at) {
        start_fade(l, *l.restore, Ms{1500}, now);
        l.restore.reset();
    }
    if (!l.has_target || l.config.dialect == Dialect::Simulated) return never;
    if (!l.available || (mqtt_ && !mqtt_->connected())) return never; // reasserted when back
    const Ms min_gap{static_cast<Ms::rep>(1000.0 / l.config.max_rate_hz)};
    if (l.last_sent && now < l.last_sent_at + min_gap)
        return l.last_sent_at + min_gap; // rate limit
    const bool native = l.config.transition && max_native_transition(l.config) > Ms{0};
    if (l.reassert) {
        l.reassert = false;
        l.device.reset(); // the device may be anywhere: tell it everything
        if (native) {
            // To where the fade will be a few seconds from now, over those seconds; then on.
            const MonoTime until = std::max(
                now + options_.reassert_fade,
                l.next_segment < l.segments.size() ? l.segments[l.next_segment].start : now);
            send(l, l.fade.at(until), until - now, now);
            l.segments = fade_segments(
                l.fade, until, std::min(options_.max_segment, max_native_transition(l.config)));
            l.next_segment = 0;
            if (l.fade.done(until)) l.segments.clear();
            return l.segments.empty() ? l.busy_until : l.segments.front().start;
        }
        send(l, l.fade.at(now), Ms{0}, now);
        return now + min_gap;
    }
    if (native) {
        // Skip segments that are already over (coalescing: only the newest matters).
        while (l.next_segment + 1 < l.segments.size() &&
               l.segments[l.next_segment + 1].start <= now)
            ++l.next_segment;
        if (l.next_segment >= l.segments.size()) return catch_up(l, now);
        const FadeSegment seg = l.segments[l.next_segment];
        if (seg.start > now) return seg.start;
        ++l.next_segment;
        // A segment that asks for what the light was already sent is not sent again.
        if (!l.last_sent || !same_on_device(l.config, *l.last_sent, seg.target))
            send(l, seg.target, std::max(Ms{0}, seg.start + seg.length - now), now);
        return l.next_segment < l.segments.size() ? l.segments[l.next_segment].start
                                                  : std::max(l.busy_until, now + min_gap);
    }
    // Stepping: the fade's value now, as often as the light allows, only when it changes.
    const LightState v = l.fade.at(now);
    if (!l.last_sent || !same_on_device(l.config, trimmed(*l.last_sent, trim_), trimmed(v, trim_)))
        send(l, v, Ms{0}, now);
    return l.fade.done(now) ? never : now + min_gap;
}

MonoTime LightsDriver::catch_up(Light& l, MonoTime now) {
    // What a quirk held back (e.g. colour after an IKEA brightness fade) follows once the
    // device's last transition is over, so it does not cancel it.
    const MonoTime never = now + Ms{3600000};
    if (!l.device || !l.has_target) return never;
    const LightState target = l.fade.at(now);
    if (same_on_device(l.config, *l.device, trimmed(target, trim_))) return never;
    if (now < l.busy_until) return l.busy_until;
    send(l, target, options_.catch_up_fade, now);
    return l.busy_until;
}

MonoTime LightsDriver::service() {
    std::lock_guard lock(mutex_);
    if (reassert_all_.exchange(false)) // (re)connected: say it all again, gently
        for (auto& l : lights_)
            l.reassert = l.has_target;
    const MonoTime now = clock_.now();
    MonoTime due = now + kIdleCheck;
    for (auto& l : lights_) {
        due = std::min(due, service_light(l, now));
        if (l.restore) due = std::min(due, l.restore_at); // a test light's way back
    }
    return std::max(due, now);
}

std::map<std::string, LightState> LightsDriver::current() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, LightState> out;
    const MonoTime now = clock_.now();
    for (const auto& l : lights_)
        if (l.has_target) out[l.config.id] = trimmed(l.fade.at(now), trim_);
    return out;
}

std::map<std::string, int> LightsDriver::commands_sent() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, int> out;
    for (const auto& l : lights_)
        out[l.config.id] = l.sent;
    return out;
}

Json LightsDriver::health() const {
    std::lock_guard lock(mutex_);
    const MonoTime now = clock_.now();
    Json lights = Json::array();
    int ok = 0;
    for (const auto& l : lights_) {
        const bool reachable =
            l.config.dialect == Dialect::Simulated || (mqtt_ && mqtt_->connected());
        const bool good = reachable && l.available;
        ok += good;
        Json j = {{"id", l.config.id},
                  {"name", l.config.name},
                  {"dialect", to_string(l.config.dialect)},
                  {"ok", good},
                  {"available", l.available},
                  {"commands", l.sent}};
        if (l.has_target) {
            const LightState s = trimmed(l.fade.at(now), trim_);
            j["on"] = s.on;
            j["brightness"] = s.brightness;
            if (s.kelvin) j["kelvin"] = *s.kelvin;
            if (s.xy) j["color"] = {{"x", s.xy->x}, {"y", s.xy->y}};
        }
        lights.push_back(j);
    }
    std::string detail =
        std::to_string(ok) + " of " + std::to_string(lights_.size()) + " lights ok";
    if (mqtt_ && !mqtt_->connected()) detail += "; MQTT broker unreachable, retrying";
    return {{"ok", ok == static_cast<int>(lights_.size())},
            {"detail", detail},
            {"trim", trim_},
            {"lights", lights}};
}

} // namespace stillroom
