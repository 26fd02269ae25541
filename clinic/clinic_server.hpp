// The clinic overview's web page and API (DESIGN.md): GET / (the overview page),
// POST /api/v1/login and /logout, GET /api/v1/rooms (every room, its session and alerts)
// and GET /api/v1/events (Server-Sent Events: the room list on every change and every few
// seconds while a session runs). Any staff role may look; nobody can act on a room here.
// The same guarded server as the room's tablet API (control/http_guard.hpp).
#pragma once

#include "clinic/overview.hpp"
#include "control/auth.hpp"
#include "control/event_hub.hpp"
#include "engine/clock.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace stillroom {

class GuardedServer;

struct ClinicServerOptions {
    std::string clinic_id;
    std::string clinic_name;
    std::string host = "127.0.0.1";
    int port = 8090;
    std::optional<std::pair<std::string, std::string>> tls; // cert, key (absolute paths)
    std::vector<std::string> allowed_hosts;
    // {"connected", "broker"}: shown on the page (the room list is then the last known).
    std::function<Json()> broker_status;
    // Acknowledges a room's alert (room id, alert id, user); false: no such alert now.
    std::function<bool(const std::string&, const std::string&, const std::string&)> acknowledge;
    // Sends one library file to the chosen rooms (ids, or all when empty); returns
    // {"sent": [ids], "unknown": [ids]}. Absent: 404.
    std::function<Json(const std::string& kind, const std::string& name, const Json& content,
                       const std::vector<std::string>& rooms)>
        push_library;
};

class ClinicServer {
public:
    ClinicServer(ClinicServerOptions options, Overview& overview, Auth& auth, EventHub& events,
                 DeviceClock& clock);
    ~ClinicServer();
    bool start(std::string* error);
    void stop();
    int port() const { return bound_port_; }
    // The body of GET /api/v1/rooms (and of each SSE "state" event).
    Json rooms_json() const;

private:
    ClinicServerOptions options_;
    Overview& overview_; // told the broker connection when it lists the rooms
    Auth& auth_;
    EventHub& events_;
    DeviceClock& clock_;
    std::unique_ptr<GuardedServer> server_;
    int bound_port_ = 0;
};

// The overview page: one HTML file, compiled in (nothing from the internet).
const std::string& clinic_html();

} // namespace stillroom
