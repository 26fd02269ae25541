// Nothing a stranger sends takes the room from its therapist (issue 25 items 2, 3, 5, 6), on
// the real binary with hostile clients from 127.0.0.2 and up and the therapist's tablet on
// 127.0.0.1: sockets that fill the connection caps, a wrong-PIN sweep from many addresses
// (the shared budget for unknown devices; the tablet's device cookie keeps its own), a
// curator holding every event stream they can, and the listen backlog.
#include "room_process.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <list>
#include <thread>
#include <vector>

using namespace stillroom;
using namespace stillroom::test;

namespace {

struct Sockets {
    std::vector<int> fds;
    ~Sockets() {
        for (int fd : fds)
            ::close(fd);
    }
    // `per_address` sockets from each of `addresses` addresses from 127.0.0.`first` on, each
    // with half a request (a trickling client that never finishes).
    void open(int port, int first, int addresses, int per_address) {
        for (int a = 0; a < addresses; ++a)
            for (int i = 0; i < per_address; ++i) {
                const int fd = connect_from("127.0.0." + std::to_string(first + a), port);
                if (fd < 0) continue;
                send_text(fd, "GET /api/v1/state HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a");
                fds.push_back(fd);
            }
    }
    int closed_by_server() const {
        int n = 0;
        for (int fd : fds) {
            char buf[4096];
            for (int i = 0; i < 1000; ++i) { // what the server sent first, then its close
                const auto got = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) ++n;
                if (got <= 0) break;
            }
        }
        return n;
    }
};

std::string device_of(const RawReply& r) {
    const Json j = Json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("device") && j["device"].is_string()
               ? j["device"].get<std::string>()
               : "";
}

} // namespace

TEST_CASE("access: strangers' sockets never take the therapist's connection (real binary)") {
    raise_open_files();
    RoomProcess room;
    room.start();
    const std::string t = room.token("1357");
    auto taps_all_answered = [&](int n) {
        int ok = 0;
        for (int i = 0; i < n; ++i)
            ok += room.call("GET", "/api/v1/state", t, "", "127.0.0.1").status == 200;
        return ok;
    };
    Sockets hostile;
    SUBCASE("1024 trickling sockets from 4 addresses (they held the 1000-socket cap)") {
        hostile.open(room.port, 2, 4, 256);
        CHECK(taps_all_answered(20) == 20);
        // Each address keeps only its share of stranger sockets.
        CHECK(eventually([&] { return hostile.closed_by_server() >= 1024 - 4 * 32; }, 50));
    }
    SUBCASE("trickling sockets from 40 addresses fill every stranger slot") {
        hostile.open(room.port, 10, 40, 32);
        CHECK(taps_all_answered(20) == 20);
        CHECK(eventually([&] { return hostile.closed_by_server() >= 40 * 32 - 512; }, 50));
        // A new stranger still gets in (an old idle one makes room): the login page loads.
        CHECK(raw_request("127.0.0.60", room.port, "GET", "/").status == 200);
    }
}

TEST_CASE("access: a PIN sweep from many addresses shares one budget; a known tablet keeps its "
          "own (real binary)") {
    raise_open_files();
    RoomProcess room;
    room.start();
    RawReply first = room.login("127.0.0.1", "1357");
    REQUIRE(first.status == 200);
    std::string device = device_of(first);
    REQUIRE(device.size() == 32);

    // Ten failed checks from ten addresses use the budget of every unknown device...
    for (int i = 0; i < 10; ++i) {
        CAPTURE(i);
        CHECK(room.login("127.0.0." + std::to_string(2 + i), "0000").status == 401);
    }
    // ...so the eleventh address, even with the right PIN, is refused without a check.
    RawReply refused = room.login("127.0.0.12", "0000");
    CHECK(refused.status == 429);
    CHECK(refused.body.find("does not know") != std::string::npos);
    CHECK(room.login("127.0.0.13", "1357").status == 429);
    CHECK(room.login("127.0.0.1", "1357").status == 429); // the tablet, without its device

    // The tablet with its device cookie logs in; each login gives a new device cookie and
    // the old one ends.
    RawReply known = room.login("127.0.0.1", "1357", device);
    REQUIRE(known.status == 200);
    const std::string next = device_of(known);
    CHECK(next.size() == 32);
    CHECK(next != device);
    CHECK(room.login("127.0.0.1", "1357", device).status == 429);
    device = next;

    // A wrong-PIN flood from 40 addresses while the tablet logs in five times: never refused.
    std::atomic<bool> stop{false};
    std::atomic<int> flood_answers{0};
    std::list<std::thread> flood;
    for (int a = 0; a < 40; ++a)
        flood.emplace_back([&, a] {
            for (int i = 0; i < 25 && !stop; ++i)
                if (room.login("127.0.0." + std::to_string(20 + a), "0000").status > 0)
                    ++flood_answers;
        });
    for (int i = 0; i < 5; ++i) {
        CAPTURE(i);
        RawReply r = room.login("127.0.0.1", "1357", device);
        CHECK(r.status == 200);
        if (r.status == 200) device = device_of(r);
    }
    stop = true;
    for (auto& th : flood)
        th.join();
    CHECK(flood_answers.load() > 0);
}

TEST_CASE("access: a curator holding every event stream they can does not take the "
          "therapist's (real binary)") {
    RoomProcess room;
    room.start();
    const std::string c = room.token("8642"), t = room.token("1357");
    Sockets streams;
    const std::string ask =
        "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ";
    int refused = 0;
    for (int i = 0; i < 40; ++i) {
        const int fd = connect_from("127.0.0.2", room.port);
        REQUIRE(fd >= 0);
        streams.fds.push_back(fd);
        send_text(fd, ask + c + "\r\n\r\n");
        RawReply head = read_reply(fd, 3000);
        refused += head.status != 200;
    }
    CHECK(refused == 0); // a new stream of the same user replaces their oldest
    CHECK(eventually([&] { return streams.closed_by_server() >= 40 - 3; }, 50));
    const int mine = connect_from("127.0.0.1", room.port);
    REQUIRE(mine >= 0);
    send_text(mine, ask + t + "\r\n\r\n");
    CHECK(read_reply(mine, 3000).status == 200);
    ::close(mine);
}

TEST_CASE("access: the listen backlog is far above 5 (real binary)") {
    RoomProcess room;
    room.start();
    // ss reports a listening socket's backlog as its Send-Q.
    const std::string cmd = "ss -Hltn 'sport = :" + std::to_string(room.port) + "'";
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, p))
            out += buf;
        ::pclose(p);
    }
    CAPTURE(out);
    int recv_q = -1, send_q = -1;
    char state[32] = {};
    REQUIRE(std::sscanf(out.c_str(), "%31s %d %d", state, &recv_q, &send_q) == 3);
    CHECK(send_q >= 512);
}
