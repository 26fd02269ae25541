// The clinic overview's web page and API.
#include "clinic/clinic_server.hpp"

#include "control/http_common.hpp"
#include "control/http_guard.hpp"

namespace stillroom {

ClinicServer::ClinicServer(ClinicServerOptions options, const Overview& overview, Auth& auth, EventHub& events,
                           Clock& clock)
    : options_(std::move(options)), overview_(overview), auth_(auth), events_(events), clock_(clock) {
    HttpGuardLimits limits;
    limits.max_body = 16 << 10; // logins only
    if (options_.tls)
        server_ = std::make_unique<GuardedServer>(limits, &options_.tls->first, &options_.tls->second);
    else
        server_ = std::make_unique<GuardedServer>(limits);
    server_->set_payload_max_length(limits.max_body);
    server_->set_tcp_nodelay(true);
    auto& s = *server_;
    install_common_handlers(s, options_.allowed_hosts, "clinic");
    auto logged_in = [this](auto handler) {
        return [this, handler](const httplib::Request& req, httplib::Response& res) {
            const std::string token = request_token(req, "/api/v1/events");
            if (token.empty() || !auth_.check(token)) return error_reply(res, 401, "log in first (Authorization: Bearer TOKEN)");
            handler(req, res);
        };
    };
    s.Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("Content-Security-Policy",
                       "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
                       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'");
        res.set_header("Cache-Control", "no-store");
        res.set_content(clinic_html(), "text/html; charset=utf-8");
    });
    s.Post("/api/v1/login", login_handler(auth_));
    s.Post("/api/v1/logout", logged_in([this](const httplib::Request& req, httplib::Response& res) {
        logout(req, res, auth_, events_);
    }));
    s.Get("/api/v1/rooms", logged_in([this](const httplib::Request&, httplib::Response& res) {
        json_reply(res, 200, rooms_json());
    }));
    // One library file to chosen rooms (curator: playlists; clinic: everything). Each room
    // validates and saves it as its tablet API would; its answer shows in the room list.
    s.Put(R"(/api/v1/library/(playlists|scenes|sessions)/([A-Za-z0-9_-]{1,64}))",
          [this](const httplib::Request& req, httplib::Response& res) {
              auto who = auth_.check(bearer_token(req));
              if (!who) return error_reply(res, 401, "log in first (Authorization: Bearer TOKEN)");
              const std::string kind = req.matches[1];
              const Role need = kind == "playlists" ? Role::Curator : Role::Clinic;
              if (!role_allows(who->role, need))
                  return error_reply(res, 403, std::string("this needs the ") + to_string(need) + " role");
              if (!options_.push_library) return error_reply(res, 404, "library changes are off");
              auto body = json_body(req, res);
              if (!body) return;
              if (!body->contains("content") || !(*body)["content"].is_object())
                  return error_reply(res, 400, "content: expected the file as a JSON object");
              std::vector<std::string> rooms;
              if (body->contains("rooms")) {
                  const Json& r = (*body)["rooms"];
                  if (!r.is_array() || r.empty() || r.size() > 500)
                      return error_reply(res, 400, "rooms: expected a list of room ids (absent: every room)");
                  for (const auto& id : r) {
                      if (!id.is_string()) return error_reply(res, 400, "rooms: expected room ids");
                      rooms.push_back(id.get<std::string>());
                  }
              }
              json_reply(res, 202, options_.push_library(kind, req.matches[2], (*body)["content"], rooms));
          });
    s.Get("/api/v1/events", logged_in([this](const httplib::Request& req, httplib::Response& res) {
        serve_event_stream(req, res, auth_, events_,
                           [this] { return "event: state\ndata: " + dump_json(rooms_json()) + "\n\n"; },
                           "/api/v1/events");
    }));
}

ClinicServer::~ClinicServer() { stop(); }

Json ClinicServer::rooms_json() const {
    const MonoTime now = clock_.now();
    Json rooms = overview_.rooms(now);
    std::size_t alerts = 0, in_session = 0, online = 0;
    for (const auto& r : rooms) {
        alerts += r["alerts"].size();
        in_session += r["session"].is_object() && r["session"].value("status", "") != "finished";
        online += r["online"].get<bool>();
    }
    return {{"clinic", {{"id", options_.clinic_id}, {"name", options_.clinic_name}}},
            {"broker", options_.broker_status ? options_.broker_status() : Json(nullptr)},
            {"rooms", rooms},
            {"counts", {{"rooms", rooms.size()}, {"online", online}, {"in_session", in_session}, {"alerts", alerts}}}};
}

bool ClinicServer::start(std::string* error) {
    bound_port_ = server_->serve(options_.host, options_.port, error);
    return bound_port_ > 0;
}

void ClinicServer::stop() {
    if (!server_->serving()) return;
    events_.stop();
    server_->stop_serving();
}

} // namespace stillroom
