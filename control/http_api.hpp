// The HTTP API (/api/v1, DESIGN.md) and the tablet app, on cpp-httplib (Debian's
// libcpp-httplib: one well-tested header-style library with a thread pool, TLS through
// OpenSSL and chunked responses for SSE; nothing to vendor). Every endpoint checks the
// bearer token and the role; every bad request gets a 4xx with {"error": ...}; request
// bodies are limited to 1 MiB and every connection has timeouts.
#pragma once

#include "control/auth.hpp"
#include "control/event_hub.hpp"
#include "control/library_files.hpp"
#include "control/room_control.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace stillroom {

struct HttpApiOptions {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::optional<std::pair<std::string, std::string>> tls; // cert, key (absolute paths)
    std::size_t max_body = 1 << 20;
    // The clinic's device checks (absent: 404).
    std::function<bool(const std::string& light)> test_light;
    std::function<bool()> test_tone;
};

class HttpApi {
public:
    HttpApi(HttpApiOptions options, RoomControl& room, Auth& auth, EventHub& events, LibraryFiles& files);
    ~HttpApi();
    // Binds and serves on its own threads. False (with *error) if the address is taken.
    bool start(std::string* error);
    void stop();
    int port() const { return bound_port_; }

private:
    void routes();
    // Why device tests are refused now (a session is running), or nullopt.
    std::optional<std::string> session_blocks_device_tests() const;
    HttpApiOptions options_;
    RoomControl& room_;
    Auth& auth_;
    EventHub& events_;
    LibraryFiles& files_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    int bound_port_ = 0;
};

// The tablet app: one HTML page with its CSS and JS inline (nothing from the internet).
const std::string& tablet_html();

} // namespace stillroom
