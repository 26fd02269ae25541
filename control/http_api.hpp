// The HTTP API (/api/v1, DESIGN.md) and the tablet app, on cpp-httplib (Debian's
// libcpp-httplib: one well-tested header-style library with a thread pool, TLS through
// OpenSSL and chunked responses for SSE; nothing to vendor). Every endpoint checks the
// bearer token and the role; every bad request gets a 4xx with {"error": ...}; request
// bodies are limited to 1 MiB and every connection has timeouts.
#pragma once

#include "control/audio_uploads.hpp"
#include "control/auth.hpp"
#include "control/event_hub.hpp"
#include "control/event_streams.hpp"
#include "library/library_files.hpp"
#include "runtime/room_control.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace stillroom {

class GuardedServer;

struct HttpApiOptions {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::optional<std::pair<std::string, std::string>> tls; // cert, key (absolute paths)
    std::size_t max_body = 1 << 20;
    // Host names the tablets may use besides IP literals, localhost and this machine's own
    // name (DNS rebinding guard).
    std::vector<std::string> allowed_hosts;
    // The clinic's device checks (absent: 404).
    std::function<bool(const std::string& light)> test_light;
    std::function<bool()> test_tone;
    // Where session journals are, for history and reports (empty: none).
    std::filesystem::path state_dir;
    // Audio uploads: sizes, lengths, unfinished parts, the disk reserve (docs/security.md).
    UploadLimits uploads;
};

// One registered route: its method ("GET", "POST", "PUT") and path pattern.
struct RouteInfo {
    std::string method;
    std::string pattern;
};

class HttpApi {
public:
    // `clock` (real time) times the HTTP guard's connection deadlines.
    HttpApi(HttpApiOptions options, RoomControl& room, Auth& auth, EventHub& events,
            LibraryFiles& files, DeviceClock& clock);
    ~HttpApi();
    // Binds and serves on its own threads. False (with *error) if the address is taken.
    bool start(std::string* error);
    void stop();
    int port() const { return bound_port_; }
    // Every route registered, in order (the route x role table test lists them all).
    const std::vector<RouteInfo>& route_list() const { return route_list_; }

private:
    void routes();
    // Why device tests are refused now (a session is running), or nullopt.
    std::optional<std::string> session_blocks_device_tests() const;
    // The room's state as the tablet gets it: with "tls" {"expires", "days_left", "renew"}
    // when the API serves HTTPS (renew: 30 days or fewer left, the page warns the clinic).
    Json tablet_state() const;
    HttpApiOptions options_;
    DeviceClock& clock_;
    std::optional<std::int64_t> tls_not_after_unix_; // the certificate in force
    RoomControl& room_;
    Auth& auth_;
    EventHub& events_;
    StreamRegistry streams_; // event streams per role and user
    LibraryFiles& files_;
    std::unique_ptr<GuardedServer> server_;
    std::shared_ptr<AudioUploads> uploads_;
    int bound_port_ = 0;
    std::vector<RouteInfo> route_list_;
};

// The tablet app: one HTML page with its CSS and JS inline (nothing from the internet).
const std::string& tablet_html();

} // namespace stillroom
