// The clinic overview's web page and API.
#include "clinic/clinic_server.hpp"

#include "control/http_common.hpp"
#include "control/http_guard.hpp"

namespace stillroom {

ClinicServer::ClinicServer(ClinicServerOptions options, Overview& overview, Auth& auth,
                           EventHub& events, DeviceClock& clock)
    : options_(std::move(options)), overview_(overview), auth_(auth), events_(events),
      clock_(clock) {
    HttpGuardLimits limits;
    limits.max_body = 16 << 10; // logins only
    server_ = make_guarded_server(limits, options_.tls, clock_);
    auto& s = *server_;
    install_common_handlers(s, options_.allowed_hosts, "clinic");
    auto logged_in = [this](auto handler) {
        return [this, handler](const httplib::Request& req, httplib::Response& res) {
            if (authorize(req, res, auth_, std::nullopt, "/api/v1/events")) handler(req, res);
        };
    };
    s.Get("/",
          [](const httplib::Request&, httplib::Response& res) { page_reply(res, clinic_html()); });
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
              const std::string kind = req.matches[1];
              if (!authorize(req, res, auth_, kind == "playlists" ? Role::Curator : Role::Clinic,
                             "/api/v1/events"))
                  return;
              if (!options_.push_library) return error_reply(res, 404, "library changes are off");
              auto body = json_body(req, res);
              if (!body) return;
              if (!body->contains("content") || !(*body)["content"].is_object())
                  return error_reply(res, 400, "content: expected the file as a JSON object");
              std::vector<std::string> rooms;
              if (body->contains("rooms")) {
                  const Json& r = (*body)["rooms"];
                  if (!r.is_array() || r.empty() || r.size() > 500)
                      return error_reply(res, 400,
                                         "rooms: expected a list of room ids (absent: every room)");
                  for (const auto& id : r) {
                      if (!id.is_string()) return error_reply(res, 400, "rooms: expected room ids");
                      rooms.push_back(id.get<std::string>());
                  }
              }
              json_reply(res, 202,
                         options_.push_library(kind, req.matches[2], (*body)["content"], rooms));
          });
    // POST /api/v1/rooms/ROOM/alerts/ack {"alert": ID}: the alert stays listed, with who
    // acknowledged it and when, until it clears (therapist or clinic).
    s.Post(R"(/api/v1/rooms/([A-Za-z0-9_-]{1,64})/alerts/ack)", [this](const httplib::Request& req,
                                                                       httplib::Response& res) {
        auto who = authorize(req, res, auth_, Role::Therapist, "/api/v1/events");
        if (!who) return;
        auto body = json_body(req, res);
        if (!body) return;
        if (!body->is_object() || !body->contains("alert") || !(*body)["alert"].is_string())
            return error_reply(res, 400, "alert: expected the alert's id");
        if (!options_.acknowledge ||
            !options_.acknowledge(req.matches[1], (*body)["alert"].get<std::string>(), who->user))
            return error_reply(res, 404, "no such alert in that room now");
        json_reply(res, 200, {{"ok", true}, {"acked_by", who->user}});
    });
    s.Get("/api/v1/events", logged_in([this](const httplib::Request& req, httplib::Response& res) {
              serve_event_stream(
                  req, res, auth_, events_,
                  [this] { return "event: state\ndata: " + dump_json(rooms_json()) + "\n\n"; },
                  "/api/v1/events");
          }));
}

ClinicServer::~ClinicServer() {
    stop();
}

Json ClinicServer::rooms_json() const {
    const DeviceTime now = clock_.now();
    const Json broker = options_.broker_status ? options_.broker_status() : Json(nullptr);
    if (broker.is_object()) overview_.set_broker_connected(broker.value("connected", true), now);
    Json rooms = overview_.rooms(now);
    std::size_t alerts = 0, in_session = 0, online = 0;
    std::size_t unacked = 0;
    for (const auto& r : rooms) {
        alerts += r["alerts"].size();
        for (const auto& a : r["alerts"])
            unacked += a["acked_by"].is_null();
        in_session += r["session"].is_object() && r["session"].value("status", "") != "finished";
        online += r["online"].get<bool>();
    }
    return {{"clinic", {{"id", options_.clinic_id}, {"name", options_.clinic_name}}},
            {"broker", broker},
            {"rooms", rooms},
            {"counts",
             {{"rooms", rooms.size()},
              {"online", online},
              {"in_session", in_session},
              {"alerts", alerts},
              {"unacknowledged", unacked}}}};
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
