// Tokens are checked against the users in force (issue 25 item 1, issue 19 item 5): a
// removed, re-roled or re-PINned user's tokens end at once, also the ones kept across a
// restart; a change to another user leaves them alone. Saves that leave no clinic user, and
// PINs shorter than control.min_pin_digits, are refused.
#include "control/auth.hpp"
#include "control/room_users.hpp"

#include "unit/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <map>

using namespace stillroom;
using namespace std::chrono_literals;

namespace {

const std::string& hash_of(const std::string& pin) {
    static std::map<std::string, std::string> cache;
    auto it = cache.find(pin);
    if (it == cache.end()) it = cache.emplace(pin, hash_pin(pin)).first;
    return it->second;
}

std::vector<UserConfig> staff() {
    return {{"t", "therapist", hash_of("1357")},
            {"c", "curator", hash_of("8642")},
            {"k", "clinic", hash_of("2468")}};
}

} // namespace

TEST_CASE("tokens: a change to a user ends that user's tokens, and only theirs") {
    struct Row {
        const char* change;
        std::function<void(std::vector<UserConfig>&)> apply;
        bool t_survives;
    };
    const std::vector<Row> rows = {
        {"nothing", [](auto&) {}, true},
        {"the therapist removed", [](auto& u) { u.erase(u.begin()); }, false},
        {"the therapist made a curator", [](auto& u) { u[0].role = "curator"; }, false},
        {"the therapist made clinic", [](auto& u) { u[0].role = "clinic"; }, false},
        {"the therapist's PIN changed", [](auto& u) { u[0].pin_hash = hash_of("9753"); }, false},
        {"the same PIN hashed again", [](auto& u) { u[0].pin_hash = hash_pin("1357"); }, false},
        {"the curator removed", [](auto& u) { u.erase(u.begin() + 1); }, true},
        {"the therapist renamed", [](auto& u) { u[0].name = "t2"; }, false},
    };
    for (const auto& row : rows) {
        CAPTURE(row.change);
        ManualDeviceClock clock;
        Auth auth(staff(), clock);
        const std::string t = auth.login("1357", "10.0.0.1").token;
        const std::string k = auth.login("2468", "10.0.0.1").token;
        REQUIRE(auth.check(t));
        auto users = staff();
        row.apply(users);
        auth.set_users(users);
        CHECK(auth.check(t).has_value() == row.t_survives);
        CHECK(auth.check(k).has_value());
        // Once ended, a token stays ended even if the old user comes back.
        auth.set_users(staff());
        CHECK(auth.check(t).has_value() == row.t_survives);
    }
}

TEST_CASE("tokens: kept across a restart, they are checked against the users in force then") {
    test::TempDir dir;
    ManualDeviceClock clock;
    std::string t, c;
    {
        Auth auth(staff(), clock, dir.path / "tokens.json");
        t = auth.login("1357", "10.0.0.1").token;
        c = auth.login("8642", "10.0.0.1").token;
    }
    {
        Auth same(staff(), clock, dir.path / "tokens.json");
        CHECK(same.check(t));
        CHECK(same.check(c));
    }
    auto users = staff();
    users[0].role = "clinic"; // the therapist promoted while the room was down
    users.erase(users.begin() + 1);
    Auth changed(users, clock, dir.path / "tokens.json");
    CHECK_FALSE(changed.check(t));
    CHECK_FALSE(changed.check(c));
    // And a token kept by an older room (no PIN fingerprint) is not taken back.
    test::TempDir old;
    std::ofstream(old.path / "tokens.json")
        << R"({")" << secret_digest("0123456789abcdef0123456789abcdef")
        << R"(":{"user":"t","role":"therapist","expires_unix_ms":9999999999999}})";
    Auth upgraded(staff(), clock, old.path / "tokens.json");
    CHECK_FALSE(upgraded.check("0123456789abcdef0123456789abcdef"));
}

TEST_CASE("tokens: a preview ticket ends with its user") {
    ManualDeviceClock clock;
    Auth auth(staff(), clock);
    const std::string c = auth.login("8642", "10.0.0.1").token;
    const std::string ticket = auth.issue_preview_ticket(c, "audio/a.flac");
    REQUIRE_FALSE(ticket.empty());
    CHECK(auth.check_preview_ticket(ticket, "audio/a.flac"));
    auto users = staff();
    users[1].pin_hash = hash_of("9753");
    auth.set_users(users);
    CHECK_FALSE(auth.check_preview_ticket(ticket, "audio/a.flac"));
}

TEST_CASE("room users: a save must leave a clinic user") {
    struct Row {
        const char* what;
        Json body;
        bool ok;
    };
    const std::vector<Row> rows = {
        {"a clinic user", {{"control", {{"users", {{{"name", "k"}, {"role", "clinic"}}}}}}}, true},
        {"only a therapist",
         {{"control", {{"users", {{{"name", "t"}, {"role", "therapist"}}}}}}},
         false},
        {"no users", {{"control", {{"users", Json::array()}}}}, false},
        {"no users key", {{"control", Json::object()}}, false},
        {"no control", Json::object(), false},
    };
    for (const auto& row : rows) {
        CAPTURE(row.what);
        Problems p("room.json");
        CHECK(leaves_a_clinic_user(row.body, p) == row.ok);
        CHECK((p.error_count() == 0) == row.ok);
        if (!row.ok) CHECK(p.to_string().find("control.users") != std::string::npos);
    }
}

TEST_CASE("room users: control.min_pin_digits") {
    auto room = [](int digits, Json users) {
        Json c = {{"users", std::move(users)}};
        if (digits) c["min_pin_digits"] = digits;
        return Json{{"control", c}};
    };
    const Json current =
        room(0, Json::array({{{"name", "k"}, {"role", "clinic"}, {"pin_hash", hash_of("2468")}}}));
    struct Row {
        const char* what;
        Json body;
        bool ok;
    };
    const std::vector<Row> rows = {
        {"4 digits, no minimum", room(0, {{{"name", "k"}, {"role", "clinic"}, {"pin", "1234"}}}),
         true},
        {"4 digits under a minimum of 6",
         room(6, {{{"name", "k"}, {"role", "clinic"}, {"pin", "1234"}}}), false},
        {"6 digits under a minimum of 6",
         room(6, {{{"name", "k"}, {"role", "clinic"}, {"pin", "123456"}}}), true},
        {"a kept PIN when the minimum rises",
         room(6, {{{"name", "k"}, {"role", "clinic"}, {"pin_hash", "(set)"}}}), false},
        {"a kept PIN, the minimum unchanged",
         room(0, {{{"name", "k"}, {"role", "clinic"}, {"pin_hash", "(set)"}}}), true},
    };
    for (const auto& row : rows) {
        CAPTURE(row.what);
        Json body = row.body;
        Problems p("room.json");
        CHECK(prepare_room_users(body, current, p) == row.ok);
        if (!row.ok) CHECK(p.to_string().find("min_pin_digits") != std::string::npos);
    }
    // At login: a PIN shorter than the minimum is refused without a check, and not counted.
    ManualDeviceClock clock;
    Auth auth({{"k", "clinic", hash_of("2468")}}, clock);
    CHECK(auth.login("2468", "10.0.0.1").status == Auth::LoginStatus::Ok);
    auth.set_min_pin_digits(6);
    for (int i = 0; i < 20; ++i)
        CHECK(auth.login("2468", "10.0.0.1").status == Auth::LoginStatus::WrongPin);
    CHECK(auth.throttle().tracked() == 0);
    CHECK(auth.throttle().unknown_budget_left() == PinThrottle::kUnknownBudget);
}
