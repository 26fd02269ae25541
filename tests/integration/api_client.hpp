// A small HTTP client for the room's API on a loopback port, shared by the integration tests:
// bearer tokens, JSON bodies, PIN logins (JSON only, as the server requires).
#pragma once

#include "control/auth.hpp"
#include "engine/json_reader.hpp"

#include <httplib.h>

#include <doctest/doctest.h>

#include <string>

namespace stillroom::test {

struct ApiClient {
    httplib::Client client;
    explicit ApiClient(int port) : client("127.0.0.1", port) { client.set_read_timeout(20, 0); }

    httplib::Result call(const std::string& method, const std::string& path,
                         const std::string& token = "", const std::string& body = "",
                         httplib::Headers h = {}) {
        if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
        if (method == "GET") return client.Get(path, h);
        if (method == "PUT") return client.Put(path, h, body, "application/json");
        if (method == "DELETE") return client.Delete(path, h, body, "application/json");
        return client.Post(path, h, body, "application/json");
    }
    httplib::Result get(const std::string& path, const std::string& token) {
        return call("GET", path, token);
    }
    httplib::Result post(const std::string& path, const std::string& token, const Json& body) {
        return call("POST", path, token, body.dump());
    }
    // Calls, checks the status and parses the answer (a discarded value when it is not JSON).
    Json json(const std::string& method, const std::string& path, const std::string& token,
              const std::string& body, int expect) {
        auto r = call(method, path, token, body);
        REQUIRE(r);
        CAPTURE(path);
        CAPTURE(r->body);
        CHECK(r->status == expect);
        return Json::parse(r->body, nullptr, false);
    }
    std::string login(const std::string& pin) {
        auto r = call("POST", "/api/v1/login", "", Json{{"pin", pin}}.dump());
        REQUIRE(r);
        REQUIRE(r->status == 200);
        return Json::parse(r->body)["token"].get<std::string>();
    }
};

// room.json's control.users for API tests: a therapist (PIN 1357), a curator (8642) and the
// clinic (2468), as in the demo.
inline Json three_users() {
    return Json::array({{{"name", "t"}, {"role", "therapist"}, {"pin_hash", hash_pin("1357")}},
                        {{"name", "c"}, {"role", "curator"}, {"pin_hash", hash_pin("8642")}},
                        {{"name", "k"}, {"role", "clinic"}, {"pin_hash", hash_pin("2468")}}});
}

// The room with this id in a clinic overview's `GET /api/v1/rooms` body, or null.
inline Json room_in(const Json& body, const std::string& id) {
    if (!body.contains("rooms")) return nullptr;
    for (const auto& r : body["rooms"])
        if (r["room"] == id) return r;
    return nullptr;
}

} // namespace stillroom::test
