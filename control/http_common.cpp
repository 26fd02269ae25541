// What every Stillroom HTTP server does the same way.
#include "control/http_common.hpp"

#include "control/http_guard.hpp"

#include <iostream>
#include <memory>

namespace stillroom {

void json_reply(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(dump_json(body), "application/json");
}

void error_reply(httplib::Response& res, int status, const std::string& message, Json extra) {
    extra["error"] = message;
    json_reply(res, status, extra);
}

std::string bearer_token(const httplib::Request& req) {
    const std::string h = req.get_header_value("Authorization");
    if (h.rfind("Bearer ", 0) == 0) return h.substr(7);
    return {};
}

std::optional<Json> json_body(const httplib::Request& req, httplib::Response& res) {
    if (req.body.empty()) return Json::object();
    Problems p("request body");
    auto j = parse_json_text(req.body, p);
    if (!j) {
        error_reply(res, 400, p.to_string());
        return std::nullopt;
    }
    if (!j->is_object()) {
        error_reply(res, 400, "the body must be a JSON object");
        return std::nullopt;
    }
    return j;
}

void install_common_handlers(httplib::Server& s, const std::vector<std::string>& allowed_hosts,
                             std::string what) {
    // DNS rebinding: a page from evil.example whose name now points at this machine sends
    // "Host: evil.example". Only IP literals, localhost, this machine's names and the
    // configured names are served.
    s.set_pre_routing_handler([allowed_hosts](const httplib::Request& req, httplib::Response& res) {
        if (!req.has_header("Host") || host_allowed(req.get_header_value("Host"), allowed_hosts))
            return httplib::Server::HandlerResponse::Unhandled;
        error_reply(res, 421, "this server does not answer to that host name");
        return httplib::Server::HandlerResponse::Handled;
    });
    // Every response: no sniffing, no framing, no referrers.
    s.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("X-Frame-Options", "DENY");
        res.set_header("Referrer-Policy", "no-referrer");
    });
    s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty() || res.get_header_value("Content-Type") != "application/json") {
            const char* text = res.status == 404   ? "not found"
                               : res.status == 413 ? "the request body is too large"
                               : res.status == 405 ? "method not allowed"
                                                   : "bad request";
            error_reply(res, res.status, text);
        }
    });
    s.set_exception_handler(
        [what](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
            std::string text = "internal error";
            try {
                if (ep) std::rethrow_exception(ep);
            } catch (const std::exception& e) {
                text = e.what();
            } catch (...) {
            }
            std::cerr << "stillroom: " << what << ": " << text << std::endl;
            error_reply(res, 500, "internal error");
        });
}

std::unique_ptr<GuardedServer>
make_guarded_server(const HttpGuardLimits& limits,
                    const std::optional<std::pair<std::string, std::string>>& tls,
                    DeviceClock& clock) {
    auto server = tls ? std::make_unique<GuardedServer>(limits, clock, &tls->first, &tls->second)
                      : std::make_unique<GuardedServer>(limits, clock);
    server->set_payload_max_length(limits.max_body);
    // Deadlines, connection caps and the worker pools are the guard's.
    server->set_tcp_nodelay(true);
    return server;
}

std::optional<AuthSession> authorize(const httplib::Request& req, httplib::Response& res,
                                     Auth& auth, std::optional<Role> need,
                                     const std::string& events_path) {
    const std::string token = request_token(req, events_path);
    auto session = token.empty() ? std::nullopt : auth.check(token);
    if (!session) {
        error_reply(res, 401, "log in first (Authorization: Bearer TOKEN)");
        return std::nullopt;
    }
    if (need && !role_allows(session->role, *need)) {
        error_reply(res, 403, std::string("this needs the ") + to_string(*need) + " role");
        return std::nullopt;
    }
    return session;
}

void page_reply(httplib::Response& res, const std::string& html) {
    res.set_header(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; media-src 'self'; connect-src 'self'; frame-ancestors 'none'");
    res.set_header("Cache-Control", "no-store");
    res.set_content(html, "text/html; charset=utf-8");
}

httplib::Server::Handler login_handler(Auth& auth) {
    return [&auth](const httplib::Request& req, httplib::Response& res) {
        // Only application/json: a form or text/plain POST from another web page (which
        // needs no CORS preflight) must not reach the throttle and lock the tablet out.
        if (!is_json_media_type(req.get_header_value("Content-Type")))
            return error_reply(res, 415, "a login body is application/json");
        auto body = json_body(req, res);
        if (!body) return;
        if (!body->contains("pin") || !(*body)["pin"].is_string())
            return error_reply(res, 400, "pin: expected a string");
        std::string device;
        if (body->contains("device") && !(*body)["device"].is_null()) {
            if (!(*body)["device"].is_string())
                return error_reply(res, 400, "device: expected the string a login returned");
            device = (*body)["device"].get<std::string>();
        }
        auto r = auth.login((*body)["pin"].get<std::string>(), req.remote_addr, device);
        switch (r.status) {
        case Auth::LoginStatus::Ok:
            return json_reply(
                res, 200, {{"token", r.token}, {"role", to_string(r.role)}, {"device", r.device}});
        case Auth::LoginStatus::Throttled:
            res.set_header("Retry-After", std::to_string(r.retry_after.count() / 1000 + 1));
            return error_reply(res, 429, r.message, {{"retry_after", to_seconds(r.retry_after)}});
        case Auth::LoginStatus::WrongPin:
            return error_reply(res, 401, "wrong PIN", {{"retry_after", to_seconds(r.retry_after)}});
        }
    };
}

void logout(const httplib::Request& req, httplib::Response& res, Auth& auth, EventHub& events) {
    auth.logout(bearer_token(req));
    events.publish("logout", Json::object()); // wakes the event streams: a revoked one ends now
    json_reply(res, 200, {{"ok", true}});
}

std::string request_token(const httplib::Request& req, const std::string& events_path) {
    std::string token = bearer_token(req);
    if (token.empty() && req.path == events_path && req.has_param("token"))
        token = req.get_param_value("token");
    return token;
}

void serve_event_stream(const httplib::Request& req, httplib::Response& res, Auth& auth,
                        EventHub& events, std::function<std::string()> first_state,
                        const std::string& events_path,
                        std::shared_ptr<StreamRegistry::Lease> lease) {
    const std::string token = request_token(req, events_path);
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    auto first = std::make_shared<bool>(true);
    auto seq = std::make_shared<std::uint64_t>(0);
    res.set_chunked_content_provider(
        "text/event-stream",
        [&auth, &events, first, seq, token, lease,
         first_state = std::move(first_state)](std::size_t, httplib::DataSink& sink) {
            if (events.stopped()) return false;
            if (lease && lease->ended()) return false; // a newer stream of this user took its place
            if (!auth.check(token)) return false; // logged out, expired or user changed: it ends
            if (*first) {
                *first = false;
                // The first event is a fresh state, never the last one published (its clocks
                // may be minutes old); the stream goes on after the newest state published.
                std::string hello = "retry: 1000\n\n";
                if (auto st = events.latest_state()) *seq = st->seq;
                hello += first_state();
                return sink.write(hello.data(), hello.size());
            }
            auto batch = events.wait(*seq, std::chrono::milliseconds(15000));
            if (events.stopped() || (lease && lease->ended()) || !auth.check(token)) return false;
            std::string out;
            for (const auto& e : batch) {
                out += e.text;
                *seq = std::max(*seq, e.seq);
            }
            if (out.empty()) out = ": keep-alive\n\n";
            return sink.write(out.data(), out.size()) && sink.is_writable();
        });
}

} // namespace stillroom
