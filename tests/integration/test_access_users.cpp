// Tokens end with their user (issue 25 item 1, issue 19 item 5), on the real binary: a
// removed therapist's token no longer runs the session, a clinic user demoted to curator can
// no longer use the clinic role, a new PIN ends the old tokens, and the same holds after a
// restart (tokens are kept in STATE/tokens.json) and for a room.json edited on disk. A save
// that leaves no clinic user is refused and changes nothing.
#include "room_process.hpp"

#include <doctest/doctest.h>

using namespace stillroom;
using namespace stillroom::test;

namespace {

// room.json as the clinic's tablet would send it back: GET, change, PUT.
Json room_of(RoomProcess& room, const std::string& clinic_token) {
    RawReply r = room.call("GET", "/api/v1/room", clinic_token);
    REQUIRE(r.status == 200);
    return Json::parse(r.body);
}

Json& user_named(Json& room, const std::string& name) {
    for (auto& u : room["control"]["users"])
        if (u["name"] == name) return u;
    FAIL("no user " << name);
    return room;
}

void remove_user(Json& room, const std::string& name) {
    Json kept = Json::array();
    for (const auto& u : room["control"]["users"])
        if (u["name"] != name) kept.push_back(u);
    room["control"]["users"] = kept;
}

} // namespace

TEST_CASE("access: a removed, demoted or re-PINned user's tokens end at once (real binary)") {
    RoomProcess room;
    room.start();
    const std::string t = room.token("1357"), c = room.token("8642"), k = room.token("2468"),
                      k2 = room.token("3579");
    REQUIRE(room.call("POST", "/api/v1/session/start", t, R"({"template":"s"})").status == 200);

    SUBCASE("removing the therapist ends their token: the session is no longer theirs to run") {
        Json body = room_of(room, k);
        remove_user(body, "t");
        RawReply saved = room.call("PUT", "/api/v1/room", k, body.dump());
        REQUIRE_MESSAGE(saved.status == 200, saved.body);
        CHECK(room.call("POST", "/api/v1/session/hold", t, "{}").status == 401);
        CHECK(room.call("GET", "/api/v1/state", c).status == 200); // the others stay
    }
    SUBCASE("a clinic user demoted to curator cannot use the clinic role again") {
        Json body = room_of(room, k);
        user_named(body, "k2")["role"] = "curator";
        REQUIRE(room.call("PUT", "/api/v1/room", k, body.dump()).status == 200);
        CHECK(room.call("GET", "/api/v1/room", k2).status == 401);
        Json more = room_of(room, k);
        more["control"]["users"].push_back(
            {{"name", "evil"}, {"role", "clinic"}, {"pin", "97531"}});
        CHECK(room.call("PUT", "/api/v1/room", k2, more.dump()).status == 401);
        // Logged in again, k2 is a curator now.
        const std::string again = room.token("3579");
        CHECK(room.call("GET", "/api/v1/room", again).status == 403);
    }
    SUBCASE("a new PIN ends the old tokens; the new PIN logs in") {
        Json body = room_of(room, k);
        user_named(body, "c") = {{"name", "c"}, {"role", "curator"}, {"pin", "97531"}};
        REQUIRE(room.call("PUT", "/api/v1/room", k, body.dump()).status == 200);
        CHECK(room.call("GET", "/api/v1/state", c).status == 401);
        CHECK(room.call("GET", "/api/v1/state", room.token("97531")).status == 200);
        CHECK(room.call("GET", "/api/v1/state", k).status == 200);
    }
    SUBCASE("a save that leaves no clinic user is refused, naming control.users") {
        const std::string before = read_text(room.lib() / "room.json");
        Json body = room_of(room, k);
        user_named(body, "k")["role"] = "curator";
        user_named(body, "k2")["role"] = "therapist";
        RawReply r = room.call("PUT", "/api/v1/room", k, body.dump());
        CHECK(r.status == 400);
        CHECK(r.body.find("control.users") != std::string::npos);
        CHECK(read_text(room.lib() / "room.json") == before);
        remove_user(body, "k");
        remove_user(body, "k2");
        CHECK(room.call("PUT", "/api/v1/room", k, body.dump()).status == 400);
        CHECK(room.call("GET", "/api/v1/room", k).status == 200); // nothing changed
    }
}

TEST_CASE("access: kept tokens are checked against the users in force after a restart and "
          "after an edit on disk (real binary)") {
    RoomProcess room;
    room.start();
    const std::string t = room.token("1357"), c = room.token("8642"), k = room.token("2468");
    room.kill_hard();
    // While the room is down the clinic edits room.json by hand: the curator is removed and
    // the therapist gets a new PIN.
    Json body = Json::parse(read_text(room.lib() / "room.json"));
    remove_user(body, "c");
    user_named(body, "t")["pin_hash"] = hash_pin("97531");
    write_text(room.lib() / "room.json", body.dump(2));
    room.start();
    CHECK(room.call("GET", "/api/v1/state", k).status == 200); // a kept token still works
    CHECK(room.call("GET", "/api/v1/state", c).status == 401);
    CHECK(room.call("GET", "/api/v1/state", t).status == 401);

    // Edited while running: the library watcher applies it, and the token ends.
    user_named(body, "k")["role"] = "curator";
    write_text(room.lib() / "room.json", body.dump(2));
    CHECK(eventually([&] { return room.call("GET", "/api/v1/state", k).status == 401; }, 100));
}
