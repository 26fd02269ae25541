// A bounded front for the HTTP server (cpp-httplib 0.11 cannot bound these itself: its
// read timeout is per recv(), chunked bodies ignore the payload limit, and every open
// socket holds a pool thread). One thread reads every connection without blocking, with a
// total deadline per request (headers and body) and a size limit that holds for chunked
// bodies, and caps connections in all and per address. Only complete requests reach a
// worker, and requests, logins (PIN hashing) and event streams each have their own small
// pool, so slow, idle or hostile sockets never hold a worker a therapist's button needs. A
// stranger's refused login is answered late, from the guard's thread (refused_login_delay).
#pragma once

#include "engine/clock.hpp"

#include <httplib.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace stillroom {

struct HttpGuardLimits {
    std::size_t max_body = 1 << 20;    // decoded body, chunked or not (413 above)
    std::size_t max_header = 16 << 10; // request line and headers (431 above)
    Ms request_deadline{10'000};       // first byte to last byte of one request
    Ms idle_timeout{5'000};            // an open connection that sends nothing
    Ms write_timeout{5'000};           // one response write
    int max_connections = 1000;        // open sockets in all (the rest are closed at once)
    int max_per_address = 256;         // open sockets from one address
    // Strangers: connections that have not (yet) shown a valid token or device cookie. When
    // they are all taken the oldest idle one is closed for a new one; from one address more
    // are closed at once. Trusted connections never count here.
    int max_strangers = 512;
    int max_strangers_per_address = 32;
    int request_workers = 8;             // every request but logins and event streams
    int urgent_workers = 1;              // more, serving only Urgent requests (the therapist's)
    int login_workers = 2;               // logins: at most this many PIN hashes at once
    int trusted_login_workers = 1;       // more, serving only logins from known devices
    int stranger_logins_per_address = 2; // waiting or running; more get 429 (held, below)
    // A stranger's login refused with no PIN checked (429: the throttle, the shared budget, or
    // too many at once from its address; 503: the login queue) is answered this much later by
    // the guard's thread, holding no worker and no login slot: a client that waits for its
    // answer tries at most once per this per connection, so a refused flood costs the room
    // little. A held one counts as a stranger's socket; a newcomer needing its slot answers it
    // at once.
    Ms refused_login_delay{1000};
    int stream_workers = 32; // event streams (SSE) at once; more get 503
    // Event streams in groups (a classifier's stream_group), each with its own workers; empty:
    // one group of stream_workers.
    std::vector<int> stream_groups;
    std::size_t max_queued = 256;          // complete trusted requests waiting; more get 503
    std::size_t max_queued_strangers = 64; // complete stranger requests waiting; more get 503
    int keep_alive_max = 100;              // requests per connection
    int listen_backlog = 1024;             // the kernel's accept queue (httplib listens with 5)
};

// Which queue a complete request waits in. Urgent goes first (and has its own worker),
// then Trusted; Stranger requests wait last, and their connections stay strangers.
enum class RequestLane { Urgent = 0, Trusted = 1, Stranger = 2 };
struct RequestClass {
    RequestLane lane = RequestLane::Trusted;
    int stream_group = 0; // for an event stream: whose stream workers serve it
};
// The parts of one complete request a classifier reads (views into the request).
struct RequestSummary {
    std::string_view method;
    std::string_view target; // path and query
    std::string_view authorization;
    std::string_view body; // empty for a chunked body
};
RequestSummary summarize_request(std::string_view request);
// Runs on: the guard's thread, for every complete request: it must be quick (no I/O, no lock
// held for long). Without one every request is Trusted, stream group 0.
using RequestClassifier = std::function<RequestClass(const RequestSummary&)>;

// Where a request in `buffer` ends. Pure; tested on its own.
struct RequestFrame {
    enum class Kind { Incomplete, Complete, TooLarge, HeaderTooLarge, Bad } kind = Kind::Incomplete;
    std::size_t length = 0; // bytes of the whole request when Complete
};
RequestFrame frame_request(std::string_view buffer, std::size_t max_header, std::size_t max_body);

// "application/json", with parameters or not (case-insensitive).
bool is_json_media_type(std::string_view content_type);
// The Host header check against DNS rebinding: IP literals (v4, [v6]), "localhost", this
// machine's host name (and NAME.local), and the names in `allowed`; any port.
bool host_allowed(std::string_view host_header, const std::vector<std::string>& allowed);

class HttpGuardFront;

// An httplib::Server whose sockets are served by the guard above. With `tls`
// (certificate, key paths) the guard speaks TLS itself.
class GuardedServer : public httplib::Server {
public:
    // `clock` (real time) times connection deadlines and sweeps.
    GuardedServer(HttpGuardLimits limits, DeviceClock& clock, const std::string* tls_cert = nullptr,
                  const std::string* tls_key = nullptr);
    ~GuardedServer() override;
    bool is_valid() const override;
    // Ends the guard's threads; call after stop() and after listen_after_bind() returned.
    void shutdown_guard();
    // Binds (port 0: any free port) and serves on a thread of its own. Returns the bound
    // port, or 0 with *error (a TLS certificate that does not load, an address in use).
    int serve(const std::string& host, int port, std::string* error);
    // Stops serving: the listening thread ends, open connections close, workers end. Safe to
    // call more than once; false when it was not serving.
    bool stop_serving();
    bool serving() const { return serving_.joinable(); }
    // Open connections right now (tests and the benchmark). Runs on: any thread.
    int open_connections() const;
    // Strangers' refused logins waiting for their answer (tests and the benchmark).
    int held_refusals() const;
    // Sorts requests into lanes (before serve()).
    void set_classifier(RequestClassifier classifier);

    // Serves one complete request from the guard. Runs on: a worker thread.
    bool serve_one(httplib::Stream& stream, bool close_connection, bool& connection_closed);

private:
    bool process_and_close_socket(socket_t sock) override;
    std::unique_ptr<HttpGuardFront> front_;
    std::thread serving_;
    int listen_backlog_ = 1024;
};

} // namespace stillroom
