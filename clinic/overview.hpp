// The clinic overview's model: every room seen on the broker(s), from each room's retained
// BASE/status and BASE/state messages, and the alerts a nurses' station must not miss
// (a reminder overdue, a flagged vitals reading, a device fault, a room gone offline
// during a session). Pure and thread-safe: messages and time come in, JSON goes out; the
// clock is the caller's (tests move a ManualDeviceClock).
#pragma once

#include "engine/json_reader.hpp"
#include "engine/time.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace stillroom {

struct OverviewOptions {
    // A reminder still unanswered this long after it was due is an alert.
    Ms reminder_overdue{5 * 60'000};
    // At most this many rooms are kept (a flood of made-up topics cannot grow the table).
    // When full, a room never seen online (retained junk) makes way for a new one; a room
    // that was ever online is never pushed out.
    std::size_t max_rooms = 500;
    // A room that sends heartbeats is offline when it misses this many.
    int heartbeats_missed_offline = 3;
    // After the overview's own broker connection comes back, rooms get this long to
    // reconnect and say "online" before an offline room in session is an alert.
    Ms broker_grace{30'000};
};

class Overview {
public:
    explicit Overview(OverviewOptions options = {});

    // A message on ROOM_BASE/status, ROOM_BASE/state, ROOM_BASE/heartbeat ({"every_s"}) or
    // ROOM_BASE/result (the answer to a library change). Returns true when the room table
    // changed (the page is told). Payloads that are not a room's state are counted and
    // ignored. Runs on: the MQTT network thread (any thread).
    bool on_message(const std::string& topic, const std::string& payload, DeviceTime now);

    // Every room, sorted by id: {"room", "name", "base_topic", "online", "session" (or
    // null), "alerts": [{"kind", "text"}], "last_seen_s", "library": {"version",
    // "last_change"}}. Times in the session are
    // extrapolated from when its state arrived to `now`. Runs on: any thread.
    Json rooms(DeviceTime now) const;
    // The overview's own connection to the broker. While it is down the rooms are shown as
    // last seen and no room is "offline in session" (the broker stopped, not the rooms);
    // neither within broker_grace after it is back. Runs on: any thread.
    void set_broker_connected(bool connected, DeviceTime now);
    // Alerts across the clinic (for the page's banner and tests).
    std::size_t alert_count(DeviceTime now) const;
    std::uint64_t ignored() const;
    // Acknowledges a room's alert now showing (`room`: its id or base topic; `alert`: the
    // alert's "id"). The alert stays listed with "acked_by" and "acked_at" (Unix seconds)
    // until it clears; when it comes back, it is new. False: no such alert now.
    bool acknowledge(const std::string& room, const std::string& alert, const std::string& by,
                     std::int64_t at_unix_s, DeviceTime now);

private:
    struct Room {
        std::string base;
        bool online = false;
        bool have_state = false;
        Json state;            // the room's state as published (no vital signs)
        DeviceTime state_at{}; // when it arrived
        DeviceTime seen_at{};  // the last message of any kind
        Json library_change;   // the room's answer to the last library change, or null
        bool ever_online = false;
        std::optional<DeviceTime> heartbeat_at; // none: the room sends no heartbeat
        Ms heartbeat_every{10'000};
        struct Ack {
            std::string by;
            std::int64_t at_unix_s = 0;
        };
        std::map<std::string, Ack> acks; // by alert id, while the alert lasts
    };
    Json room_json(const Room& r, DeviceTime now) const;
    bool heartbeat_lost(const Room& r, DeviceTime now) const;
    void prune_acks(Room& r, const Json& alerts) const;
    bool make_room_for_one(); // evicts a room never seen online; false when none
    OverviewOptions options_;
    mutable std::mutex mutex_;
    mutable std::map<std::string, Room> rooms_; // by base topic (acks pruned on read)
    std::uint64_t ignored_ = 0;
    bool broker_connected_ = true;
    DeviceTime broker_since_{}; // when the connection last came back
};

} // namespace stillroom
