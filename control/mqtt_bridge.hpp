// The engine on MQTT (DESIGN.md): BASE/status (online retained, offline as the last will),
// BASE/state (the state JSON, retained, on every change), BASE/cmd/ACTION for every session
// and audio action, BASE/result with each command's outcome, and Home Assistant discovery
// (control/ha_discovery.hpp: sensors, buttons, Comfort and Lights-up switches, a template
// select that arms a template for the Start button), re-sent when homeassistant/status
// says online.
// Commands may carry "sent_at" (Unix seconds) and "id" (echoed in the result): a command
// sent more than 5 s ago is answered {"ok": false, "expired": true} and not executed; one
// without "sent_at" runs on arrival. Every command gets exactly one answer on BASE/result.
// BASE/heartbeat every 10 s tells the overview the room is alive.
// For the clinic overview: status and state are published again when an overview announces
// itself (`stillroom-clinic/ID/status` = online) and at a slow interval, because clustered
// brokers may keep retained messages per node.
#pragma once

#include "devices/mqtt_link.hpp"
#include "engine/clock.hpp"
#include "engine/log_budget.hpp"
#include "runtime/room_control.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace stillroom {

struct MqttBridgeOptions {
    std::string base_topic; // "stillroom/room-1"
    std::string room_id;
    std::string room_name;
    bool homeassistant = false;
    std::vector<std::pair<std::string, std::string>> templates; // id, name (for the select)
    std::string sw_version;  // announced in Home Assistant's device and origin blocks
    std::string support_url; // room.json mqtt.support_url (origin.support_url); may be empty
    std::chrono::milliseconds republish_every{60'000}; // status and state again, for the overview
    // BASE/heartbeat {"every_s", "at"} (QoS 0, not retained) this often while connected: the
    // overview marks a room offline when it misses three.
    std::chrono::milliseconds heartbeat_every{10'000};
    // A command whose "sent_at" (Unix seconds) is further than this from the room's wall
    // clock is not executed: it is answered as expired on BASE/result.
    std::chrono::milliseconds command_max_age{5'000};
    // An overview's announcement is answered (status and state again) at most this often:
    // a flood of announcements costs one republish per gap, and commands go first.
    std::chrono::milliseconds announce_gap{1'000};
};

// Where clinic overviews announce themselves (`stillroom-clinic/ID/status`: online / offline).
inline constexpr const char* kClinicStatusPattern = "stillroom-clinic/+/status";

class MqttBridge {
public:
    // `clock` (real time) times the slow republish for the overview.
    MqttBridge(MqttBridgeOptions options, MqttLink& mqtt, RoomControl& room, DeviceClock& clock);
    ~MqttBridge();
    void start();
    void stop();
    // Called on every state change (possibly under the room's lock): queues the newest
    // state for publishing; never blocks.
    void publish_state(const Json& state);
    // BASE/cmd/library {"kind", "name", "content"} saves a library file (validated and atomic,
    // like a PUT on the tablet API) when set; otherwise that command is refused. Set before
    // start().
    using LibraryPut = std::function<CommandResult(const std::string& kind, const std::string& name,
                                                   const Json& content)>;
    void set_library_put(LibraryPut put) { library_put_ = std::move(put); }
    // The discovery messages (topic, payload), for tests and docs.
    std::vector<std::pair<std::string, std::string>> discovery_messages() const;
    std::uint64_t commands_handled() const { return handled_.load(); }
    std::uint64_t republished() const { return republished_.load(); }
    std::uint64_t heartbeats() const { return heartbeats_.load(); }
    std::uint64_t expired() const { return expired_.load(); }
    // Commands refused before they ran or by the room (queue full, not JSON, expired, ...).
    std::uint64_t refused() const { return refused_.load(); }

private:
    void worker();
    void handle_command(const std::string& action, const std::string& payload);
    void handle_ha(const std::string& topic, const std::string& payload);
    void publish_template_option(const Json& state, bool force);
    void announce();
    void republish(const Json& state); // status and state

    MqttBridgeOptions options_;
    MqttLink& mqtt_;
    RoomControl& room_;
    std::mutex mutex_;
    DeviceClock& clock_;
    Wakeup wakeup_; // rung for every queued message, state, announce and stop
    struct Incoming {
        bool ha =
            false; // BASE/ha/... or a retired config (key = topic); else BASE/cmd/ (key = action)
        std::string key, payload;
    };
    std::deque<Incoming> incoming_;
    std::string armed_;        // the template the select armed (worker thread only)
    std::string shown_option_; // what BASE/ha/template last said (worker thread only)
    std::optional<Json> pending_state_;
    bool announce_ = false;
    bool republish_ = false;
    bool running_ = false;
    std::thread thread_;
    std::atomic<std::uint64_t> handled_{0}, republished_{0}, heartbeats_{0}, expired_{0};
    bool expired_or_bad_time(Json& args, Json& result); // false: run the command
    // A refused command: logged at a bounded rate and (unless the room journaled it itself)
    // handed to the room's journal, which keeps a bounded rate too. No payload in either.
    struct RefusalKind {
        const char* name; // queue_full, not_json, bad_time, expired, bad_input, ...
    };
    void note_refusal(RefusalKind kind, const std::string& action, std::uint64_t count = 1);
    void log_refusal(const char* kind, const std::string& action, std::uint64_t count = 1);
    static std::string safe_command_name(const std::string& action); // or "unknown"
    std::uint64_t queue_full_ = 0; // commands dropped unread since the worker last looked
    std::atomic<std::uint64_t> refused_{0};
    DeviceTime next_answer_{}; // the earliest answer to the next overview announcement
    void heartbeat();
    DeviceTime next_heartbeat_{};
    DeviceTime next_republish_{};
    LibraryPut library_put_;
    LogBudget log_budget_; // refused and dropped commands: a bounded rate of log lines
};

// The state as published on MQTT: the API state without vital signs.
Json mqtt_state(Json state);

} // namespace stillroom
