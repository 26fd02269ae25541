// The HTTP API.
#include "control/http_api.hpp"

#include "control/api_audio.hpp"
#include "control/api_reports.hpp"
#include "control/http_common.hpp"
#include "control/http_guard.hpp"
#include "control/request_lanes.hpp"
#include "control/room_users.hpp"
#include "control/tls_certs.hpp"
#include "record/report_store.hpp"
#include "runtime/chart_entries.hpp"

#include <httplib.h>

#include <cctype>
#include <cstdio>

#include <iostream>

namespace stillroom {

namespace {

Json problems_array(const Problems& p) {
    Json a = Json::array();
    for (const auto& pr : p.list())
        a.push_back(pr.to_string());
    return a;
}

// Registers routes on the server and notes each one in the route list.
struct RouteRecorder {
    httplib::Server& server;
    std::vector<RouteInfo>& list;
    template <class H> void Get(const std::string& p, H h) {
        add("GET", p);
        server.Get(p, std::move(h));
    }
    template <class H> void Post(const std::string& p, H h) {
        add("POST", p);
        server.Post(p, std::move(h));
    }
    template <class H> void Put(const std::string& p, H h) {
        add("PUT", p);
        server.Put(p, std::move(h));
    }
    template <class H> void Patch(const std::string& p, H h) {
        add("PATCH", p);
        server.Patch(p, std::move(h));
    }
    template <class H> void Delete(const std::string& p, H h) {
        add("DELETE", p);
        server.Delete(p, std::move(h));
    }
    void add(const char* method, const std::string& pattern) { list.push_back({method, pattern}); }
};

} // namespace

std::optional<std::string> HttpApi::session_blocks_device_tests() const {
    const Json st = room_.state();
    if (!st.contains("session") || !st["session"].is_object()) return std::nullopt;
    if (st["session"].value("status", "") == "finished") return std::nullopt;
    return "a session is running: device tests (a blinking light, a test tone) would reach the "
           "patient; "
           "test devices before or after the session";
}

HttpApi::HttpApi(HttpApiOptions options, RoomControl& room, Auth& auth, EventHub& events,
                 LibraryFiles& files, DeviceClock& clock)
    : options_(std::move(options)), clock_(clock), room_(room), auth_(auth), events_(events),
      streams_(events), files_(files) {
    if (options_.tls) {
        std::string error;
        if (auto cert = read_certificate(options_.tls->first, &error))
            tls_not_after_unix_ = cert->not_after_unix;
    }
    HttpGuardLimits limits;
    limits.max_body = options_.max_body;
    limits.stream_groups = stream_groups_by_role(); // each role its own event streams
    server_ = make_guarded_server(limits, options_.tls, clock);
    uploads_ = std::make_shared<AudioUploads>(files_.dir(), clock, options_.uploads);
    uploads_->set_in_use([this](const std::string& file) { return room_.session_uses_file(file); });
    // The therapist's taps first, strangers last (docs/security.md "Connections").
    server_->set_classifier(api_request_classifier(auth_, "/api/v1/events"));
    routes();
}

HttpApi::~HttpApi() {
    stop();
}

Json HttpApi::tablet_state() const {
    Json st = room_.state();
    if (tls_not_after_unix_) {
        const std::int64_t now = clock_.wall_unix_ms() / 1000;
        const std::int64_t left = *tls_not_after_unix_ - now;
        const std::int64_t days = left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
        st["tls"] = {{"expires", iso8601_utc(*tls_not_after_unix_)},
                     {"days_left", days},
                     {"renew", days <= kWarnDaysBeforeExpiry}};
    }
    return st;
}

bool HttpApi::start(std::string* error) {
    bound_port_ = server_->serve(options_.host, options_.port, error);
    return bound_port_ > 0;
}

void HttpApi::stop() {
    if (!server_->serving()) return;
    events_.stop(); // SSE streams end
    server_->stop_serving();
}

void HttpApi::routes() {
    RouteRecorder s{*server_, route_list_};
    install_common_handlers(*server_, options_.allowed_hosts, "http");

    // Wraps a handler with the token and role checks.
    auto guarded = [this](std::optional<Role> need, auto handler) {
        return [this, need, handler](const httplib::Request& req, httplib::Response& res) {
            // EventSource cannot send headers: ?token= is accepted for the event stream only.
            auto session = authorize(req, res, auth_, need, "/api/v1/events");
            if (!session) return;
            handler(req, res, *session);
        };
    };

    s.Get("/",
          [](const httplib::Request&, httplib::Response& res) { page_reply(res, tablet_html()); });

    s.Post("/api/v1/login", login_handler(auth_));
    s.Post("/api/v1/logout",
           guarded(std::nullopt, [this](const httplib::Request& req, httplib::Response& res,
                                        const AuthSession&) { logout(req, res, auth_, events_); }));

    s.Get("/api/v1/state",
          guarded(std::nullopt,
                  [this](const httplib::Request&, httplib::Response& res, const AuthSession& who) {
                      Json st = tablet_state();
                      st["you"] = {{"role", to_string(who.role)}, {"user", who.user}};
                      json_reply(res, 200, st);
                  }));

    s.Get("/api/v1/events",
          guarded(std::nullopt, [this](const httplib::Request& req, httplib::Response& res,
                                       const AuthSession& who) {
              serve_event_stream(
                  req, res, auth_, events_,
                  [this] { return "event: state\ndata: " + dump_json(tablet_state()) + "\n\n"; },
                  "/api/v1/events", streams_.admit(who.user, who.role));
          }));

    auto session_action = [this](const std::string& action, const Json& body,
                                 httplib::Response& res, const AuthSession& who) {
        Problems problems;
        CommandResult r;
        if (action == "start") {
            auto req = parse_start_request(body, problems);
            if (!req)
                return error_reply(res, 400, "bad start request",
                                   {{"problems", problems_array(problems)}});
            r = room_.start_by(*req, who.user);
        } else {
            auto kind = command_kind_from_name(action);
            if (!kind || *kind == CommandKind::TrackFailed || *kind == CommandKind::Volume ||
                *kind == CommandKind::Skip)
                return error_reply(res, 404, "no session action \"" + action + "\"");
            auto cmd = parse_command(*kind, body, problems);
            if (!cmd)
                return error_reply(res, 400, "bad arguments",
                                   {{"problems", problems_array(problems)}});
            r = room_.command_by(*cmd, who.user);
        }
        Json out = {{"ok", r.ok}, {"state", r.body}};
        if (r.seq > 0) out["seq"] = r.seq; // the journal record it made (docs/report.md)
        if (!r.message.empty()) out[r.ok ? "note" : "error"] = r.message;
        json_reply(res, r.ok ? 200 : r.status, out);
    };
    s.Get(R"(/api/v1/session/(timeline|summary))",
          guarded(std::nullopt,
                  [this](const httplib::Request& req, httplib::Response& res, const AuthSession&) {
                      Json view = req.matches[1] == "timeline" ? room_.timeline() : room_.summary();
                      if (view.is_null())
                          return error_reply(res, 404, "no session has run since the room started");
                      json_reply(res, 200, view);
                  }));
    // A correction of one clinical entry (before the generic session route, which would take
    // "correct" for a command): the user who made the entry, or clinic.
    s.Post("/api/v1/session/correct",
           guarded(Role::Therapist, [this](const httplib::Request& req, httplib::Response& res,
                                           const AuthSession& who) {
               auto body = json_body(req, res);
               if (!body) return;
               Problems problems;
               auto c = parse_correction(*body, problems);
               if (!c)
                   return error_reply(res, 400, "bad correction",
                                      {{"problems", problems_array(problems)}});
               const CommandResult r = room_.correct(*c, who.user, who.role == Role::Clinic);
               Json out = {{"ok", r.ok}, {"state", r.body}};
               if (r.seq > 0) out["seq"] = r.seq;
               if (!r.message.empty()) out[r.ok ? "note" : "error"] = r.message;
               json_reply(res, r.ok ? 200 : r.status, out);
           }));
    s.Post(
        R"(/api/v1/session/([a-z-]+))",
        guarded(Role::Therapist, [session_action](const httplib::Request& req,
                                                  httplib::Response& res, const AuthSession& who) {
            auto body = json_body(req, res);
            if (body) session_action(req.matches[1], *body, res, who);
        }));
    // Vitals alerts (therapist, clinic): acknowledged by the user named in the token.
    s.Post(R"(/api/v1/session/alerts/([A-Za-z0-9_-]{1,32})/ack)",
           guarded(Role::Therapist, [this](const httplib::Request& req, httplib::Response& res,
                                           const AuthSession& who) {
               CommandResult r = room_.ack_alert(req.matches[1], who.user);
               Json out = {{"ok", r.ok}, {"state", r.body}};
               if (!r.message.empty()) out[r.ok ? "note" : "error"] = r.message;
               json_reply(res, r.ok ? 200 : r.status, out);
           }));
    // A flagged vitals reading seen (therapist, clinic): off every tablet's pinned box.
    s.Post(R"(/api/v1/session/vitals/([0-9]{1,15})/ack)",
           guarded(Role::Therapist, [this](const httplib::Request& req, httplib::Response& res,
                                           const AuthSession& who) {
               CommandResult r = room_.ack_reading(std::stoll(req.matches[1]), who.user);
               Json out = {{"ok", r.ok}, {"state", r.body}};
               if (r.seq > 0) out["seq"] = r.seq;
               if (!r.message.empty()) out[r.ok ? "note" : "error"] = r.message;
               json_reply(res, r.ok ? 200 : r.status, out);
           }));
    s.Get("/api/v1/session/vitals/series",
          guarded(Role::Therapist,
                  [this](const httplib::Request&, httplib::Response& res, const AuthSession&) {
                      Json series = room_.vitals_series();
                      if (series.is_null())
                          return error_reply(res, 404, "no session with vitals is running");
                      json_reply(res, 200, series);
                  }));
    s.Post(R"(/api/v1/audio/(volume|skip|depth))",
           guarded(Role::Therapist, [this](const httplib::Request& req, httplib::Response& res,
                                           const AuthSession& who) {
               auto body = json_body(req, res);
               if (!body) return;
               Problems problems;
               const std::string what = req.matches[1];
               auto cmd = parse_command(what == "volume"  ? CommandKind::Volume
                                        : what == "depth" ? CommandKind::Depth
                                                          : CommandKind::Skip,
                                        *body, problems);
               if (!cmd)
                   return error_reply(res, 400, "bad arguments",
                                      {{"problems", problems_array(problems)}});
               CommandResult r = room_.command_by(*cmd, who.user);
               Json out = {{"ok", r.ok}, {"state", r.body}};
               if (!r.message.empty()) out[r.ok ? "note" : "error"] = r.message;
               json_reply(res, r.ok ? 200 : r.status, out);
           }));

    // Library files: read by anyone logged in; written by the curator (playlists) or the
    // clinic (everything).
    s.Get(R"(/api/v1/(playlists|scenes|sessions))",
          guarded(std::nullopt,
                  [this](const httplib::Request& req, httplib::Response& res, const AuthSession&) {
                      auto r = files_.list(*file_kind_from_path(req.matches[1]));
                      json_reply(res, r.status, r.body);
                  }));
    s.Get(R"(/api/v1/(playlists|scenes|sessions)/([^/]+))",
          guarded(std::nullopt,
                  [this](const httplib::Request& req, httplib::Response& res, const AuthSession&) {
                      auto r = files_.get(*file_kind_from_path(req.matches[1]), req.matches[2]);
                      json_reply(res, r.status, r.body);
                  }));
    s.Put(R"(/api/v1/(playlists|scenes|sessions)/([^/]+))",
          guarded(std::nullopt, [this](const httplib::Request& req, httplib::Response& res,
                                       const AuthSession& who) {
              const FileKind kind = *file_kind_from_path(req.matches[1]);
              const Role need = kind == FileKind::Playlist ? Role::Curator : Role::Clinic;
              if (!role_allows(who.role, need))
                  return error_reply(res, 403,
                                     std::string("this needs the ") + to_string(need) + " role");
              auto r = files_.put(kind, req.matches[2], req.body);
              json_reply(res, r.status, r.body);
          }));
    s.Delete(R"(/api/v1/playlists/([^/]+))",
             guarded(Role::Curator, [this](const httplib::Request& req, httplib::Response& res,
                                           const AuthSession&) {
                 auto r = files_.remove_playlist(req.matches[1]);
                 json_reply(res, r.status, r.body);
             }));
    s.Get("/api/v1/room", guarded(Role::Clinic, [this](const httplib::Request&,
                                                       httplib::Response& res, const AuthSession&) {
              auto r = files_.get(FileKind::Room, "room");
              // PIN hashes never leave the machine.
              if (r.status == 200 && r.body.contains("control") &&
                  r.body["control"].contains("users"))
                  for (auto& u : r.body["control"]["users"])
                      if (u.is_object() && u.contains("pin_hash")) u["pin_hash"] = "(set)";
              json_reply(res, r.status, r.body);
          }));
    s.Put("/api/v1/room", guarded(Role::Clinic, [this](const httplib::Request& req,
                                                       httplib::Response& res, const AuthSession&) {
              // Users may carry a new "pin" (hashed here, never stored) or "pin_hash": "(set)" to
              // keep theirs; duplicate and short PINs are refused (control/room_users.hpp).
              Problems p("room.json");
              auto body = parse_json_text(req.body, p);
              if (!body)
                  return json_reply(
                      res, 400,
                      {{"error", "room.json is not valid JSON"}, {"problems", problems_array(p)}});
              auto current = files_.get(FileKind::Room, "room");
              const bool users_ok = prepare_room_users(
                  *body, current.status == 200 ? current.body : Json(nullptr), p);
              if (!leaves_a_clinic_user(*body, p) || !users_ok)
                  return json_reply(
                      res, 400,
                      {{"error", p.list().front().to_string()}, {"problems", problems_array(p)}});
              auto r = files_.put(FileKind::Room, "room", body->dump());
              json_reply(res, r.status, r.body);
          }));
    s.Get(R"(/api/v1/playlists/([^/]+)/analysis)",
          guarded(Role::Curator,
                  [this](const httplib::Request& req, httplib::Response& res, const AuthSession&) {
                      auto r = files_.analyze(req.matches[1]);
                      json_reply(res, r.status, r.body);
                  }));
    // M3U through the command line's own reader and writer (library_m3u.cpp).
    s.Post("/api/v1/playlists/import-m3u",
           guarded(Role::Curator,
                   [this](const httplib::Request& req, httplib::Response& res, const AuthSession&) {
                       auto body = json_body(req, res);
                       if (!body) return;
                       if (!body->contains("m3u") || !(*body)["m3u"].is_string())
                           return error_reply(res, 400, "m3u: expected the M3U text");
                       auto r = files_.import_m3u((*body)["m3u"].get<std::string>());
                       json_reply(res, r.status, r.body);
                   }));
    s.Get(R"(/api/v1/playlists/([^/]+)/m3u)",
          guarded(Role::Curator,
                  [this](const httplib::Request& req, httplib::Response& res, const AuthSession&) {
                      auto r = files_.export_m3u(req.matches[1]);
                      json_reply(res, r.status, r.body);
                  }));
    s.Post(R"(/api/v1/devices/lights/([^/]+)/test)",
           guarded(Role::Clinic,
                   [this](const httplib::Request& req, httplib::Response& res, const AuthSession&) {
                       if (auto why = session_blocks_device_tests())
                           return error_reply(res, 409, *why);
                       if (!options_.test_light)
                           return error_reply(res, 404, "no lights in this room");
                       if (!options_.test_light(req.matches[1]))
                           return error_reply(res, 404, "no such light");
                       json_reply(res, 200, {{"ok", true}});
                   }));
    s.Post("/api/v1/devices/audio/test",
           guarded(Role::Clinic,
                   [this](const httplib::Request&, httplib::Response& res, const AuthSession&) {
                       if (auto why = session_blocks_device_tests())
                           return error_reply(res, 409, *why);
                       if (!options_.test_tone || !options_.test_tone())
                           return error_reply(res, 409, "no audio output is open");
                       json_reply(res, 200, {{"ok", true}});
                   }));
    for (auto& route : audio_routes(files_.dir(), uploads_)) {
        auto handler = guarded(
            route.role, [fn = route.handler](const httplib::Request& req, httplib::Response& res,
                                             const AuthSession&) { fn(req, res); });
        if (route.method == "PUT") {
            s.Put(route.pattern, handler);
        } else if (route.method == "DELETE") {
            s.Delete(route.pattern, handler);
        } else if (route.pattern == kAudioFileRoute) {
            // One file's audio, played by an <audio> element: a preview ticket for exactly
            // this file may stand in for the token (docs/security.md). Nowhere else.
            s.Get(route.pattern, [this, handler, fn = route.handler](const httplib::Request& req,
                                                                     httplib::Response& res) {
                if (!bearer_token(req).empty() || !req.has_param("ticket"))
                    return handler(req, res);
                if (!auth_.check_preview_ticket(req.get_param_value("ticket"), req.matches[1]))
                    return error_reply(res, 401,
                                       "this preview ticket has expired or is for another file: "
                                       "ask for a new one");
                fn(req, res);
            });
        } else {
            s.Get(route.pattern, handler);
        }
    }
    // A preview ticket for one audio file (curator): its URL streams with ranges, no header.
    s.Post("/api/v1/audio/preview",
           guarded(Role::Curator, [this](const httplib::Request& req, httplib::Response& res,
                                         const AuthSession&) {
               auto body = json_body(req, res);
               if (!body) return;
               const std::string file = body->is_object() && (*body)["file"].is_string()
                                            ? (*body)["file"].get<std::string>()
                                            : "";
               std::string error;
               if (file.empty() || !library_audio_path(files_.dir(), file, false, &error))
                   return error_reply(res, 400,
                                      "file: " + (file.empty()
                                                      ? std::string("expected a library audio path")
                                                      : file + ": " + error));
               const std::string ticket = auth_.issue_preview_ticket(bearer_token(req), file);
               if (ticket.empty())
                   return error_reply(res, 401, "log in first (Authorization: Bearer TOKEN)");
               std::string url = "/api/v1/audio/files/";
               for (char c : file) {
                   const bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '/' ||
                                      c == '-' || c == '_' || c == '.';
                   char buf[4];
                   std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
                   url += plain ? std::string(1, c) : std::string(buf);
               }
               json_reply(res, 200,
                          {{"url", url + "?ticket=" + ticket},
                           {"file", file},
                           {"expires_in_s", std::chrono::duration_cast<std::chrono::seconds>(
                                                Auth::kPreviewTicketLifetime)
                                                .count()}});
           }));
    // Past sessions: the therapist's and the clinic's (reports hold no patient data).
    s.Get("/api/v1/history",
          guarded(Role::Therapist,
                  [this](const httplib::Request&, httplib::Response& res, const AuthSession&) {
                      json_reply(res, 200, history_reply(options_.state_dir));
                  }));
    s.Get(R"(/api/v1/reports/([^/]+))",
          guarded(Role::Therapist, [this](const httplib::Request& req, httplib::Response& res,
                                          const AuthSession&) {
              const std::string format =
                  req.has_param("format") ? req.get_param_value("format") : "json";
              const ReportReply r = report_reply(options_.state_dir, req.matches[1], format);
              res.status = r.status;
              res.set_header("Cache-Control", "no-store");
              if (!r.filename.empty())
                  res.set_header("Content-Disposition", "inline; filename=\"" + r.filename + "\"");
              if (r.status == 200 && format == "html")
                  res.set_header("Content-Security-Policy",
                                 "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
              res.set_content(r.body, r.content_type);
          }));
    // Sign-off: the PIN again, of the user signing (therapist or clinic).
    s.Post(R"(/api/v1/reports/([^/]+)/sign)",
           guarded(Role::Therapist, [this](const httplib::Request& req, httplib::Response& res,
                                           const AuthSession& who) {
               auto body = json_body(req, res);
               if (!body) return;
               if (!body->contains("pin") || !(*body)["pin"].is_string())
                   return error_reply(res, 400, "pin: expected a string");
               const std::string id = req.matches[1];
               if (!is_valid_session_id(id))
                   return error_reply(res, 400, "not a session id: letters, digits and '-' only");
               // The PIN goes through the login throttle; it must be the signing user's own.
               auto login = auth_.login((*body)["pin"].get<std::string>(), req.remote_addr);
               if (login.status == Auth::LoginStatus::Throttled) {
                   res.set_header("Retry-After",
                                  std::to_string(login.retry_after.count() / 1000 + 1));
                   return error_reply(res, 429, "too many wrong PINs; wait and try again");
               }
               std::optional<AuthSession> pin_user;
               if (login.status == Auth::LoginStatus::Ok) {
                   pin_user = auth_.check(login.token);
                   auth_.logout(login.token); // only a check: no second login stays
               }
               if (!pin_user || pin_user->user != who.user)
                   return error_reply(res, 422, "wrong PIN: sign with your own PIN");
               const CommandResult r = room_.sign(id, who.user);
               if (!r.ok) return error_reply(res, r.status, r.message);
               json_reply(res, 200, {{"ok", true}, {"seq", r.seq}});
           }));
    s.Get("/api/v1/check",
          guarded(Role::Curator,
                  [this](const httplib::Request&, httplib::Response& res, const AuthSession&) {
                      auto r = files_.check();
                      json_reply(res, r.status, r.body);
                  }));
}

} // namespace stillroom
