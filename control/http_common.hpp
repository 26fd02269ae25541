// What every Stillroom HTTP server does the same way (the room's API and the clinic
// overview): JSON replies and errors, bearer tokens, JSON bodies, the Host check and
// security headers, PIN login and logout, and the Server-Sent Events stream.
#pragma once

#include "control/auth.hpp"
#include "control/event_hub.hpp"
#include "control/event_streams.hpp"
#include "control/http_guard.hpp"
#include "engine/json_reader.hpp"

#include <httplib.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

void json_reply(httplib::Response& res, int status, const Json& body);
void error_reply(httplib::Response& res, int status, const std::string& message,
                 Json extra = Json::object());
// "Authorization: Bearer TOKEN", or empty.
std::string bearer_token(const httplib::Request& req);
// Parses a JSON object body; an empty body is {}. Replies 400 on failure.
std::optional<Json> json_body(const httplib::Request& req, httplib::Response& res);

// The Host check (DNS rebinding: 421 for other names), security headers on every
// response, JSON error bodies, and exceptions logged as 500s. `what` names the server in
// the log ("http", "clinic").
void install_common_handlers(httplib::Server& server, const std::vector<std::string>& allowed_hosts,
                             std::string what);

// A guarded server (control/http_guard.hpp) with TLS when `tls` names a certificate and key,
// the body limit, and no Nagle delay on small JSON replies; `clock` (real time) for its deadlines.
std::unique_ptr<GuardedServer>
make_guarded_server(const HttpGuardLimits& limits,
                    const std::optional<std::pair<std::string, std::string>>& tls,
                    DeviceClock& clock);

// The session of a request's token (see request_token), or a 401 reply; a 403 reply when it
// lacks `need` (clinic may do everything).
std::optional<AuthSession> authorize(const httplib::Request& req, httplib::Response& res,
                                     Auth& auth, std::optional<Role> need,
                                     const std::string& events_path);

// A page (the tablet, the overview): HTML with its CSS and JS inline, nothing from elsewhere.
void page_reply(httplib::Response& res, const std::string& html);

// POST /api/v1/login {"pin", "device"?} -> {"token", "role", "device"}: JSON bodies only
// (415 otherwise), the throttle's 401/429 answers.
httplib::Server::Handler login_handler(Auth& auth);
// POST /api/v1/logout (after the token check): revokes the token and ends its streams.
void logout(const httplib::Request& req, httplib::Response& res, Auth& auth, EventHub& events);

// The token of a request: the bearer header, or ?token= on the event stream only
// (EventSource cannot send headers).
std::string request_token(const httplib::Request& req, const std::string& events_path);

// GET …/events: the newest state (from `events`, else `first_state()`), then every event as
// it comes, keep-alives every 15 s; ends when the token is revoked or expires, or (with a
// `lease` from a StreamRegistry) when a newer stream replaces it.
void serve_event_stream(const httplib::Request& req, httplib::Response& res, Auth& auth,
                        EventHub& events, std::function<std::string()> first_state,
                        const std::string& events_path,
                        std::shared_ptr<StreamRegistry::Lease> lease = nullptr);

} // namespace stillroom
