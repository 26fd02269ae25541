// Hostile clients against the HTTP guard on loopback: trickled headers, idle sockets,
// chunked bodies past the limit, too many event streams, too many sockets from one
// address. Then the tablet API's login rules over real sockets bound to 127.0.0.2 and
// 127.0.0.3: the throttle's steps, lockout, expiry and per-address rule, JSON-only logins,
// the Host check, ?token= for the event stream only, and deep JSON.
#include "control/http_guard.hpp"

#include "../unit/temp_dir.hpp"
#include "helpers.hpp"
#include "process.hpp"
#include "raw_http.hpp"
#include "services.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

// A GuardedServer with a /ping route and an endless /api/v1/events stream.
struct GuardFixture {
    SteadyDeviceClock clock;
    GuardedServer server;
    std::thread thread;
    int port = 0;
    std::atomic<bool> streams_end{false};
    std::mutex slow_mutex;
    std::condition_variable slow_cv;
    bool slow_release = false;
    std::atomic<int> slow_in{0};
    std::atomic<int> logins{0};
    explicit GuardFixture(HttpGuardLimits limits, RequestClassifier classifier = nullptr)
        : server(limits, clock) {
        if (classifier) server.set_classifier(std::move(classifier));
        server.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
            ++slow_in;
            std::unique_lock lock(slow_mutex);
            slow_cv.wait_for(lock, std::chrono::seconds(10), [this] { return slow_release; });
            res.set_content("slow", "text/plain");
        });
        server.Get("/ping", [](const httplib::Request&, httplib::Response& res) {
            res.set_content("pong", "text/plain");
        });
        // "1357" is right; any other PIN is refused unchecked (429), as the throttle does.
        server.Post("/api/v1/login", [this](const httplib::Request& req, httplib::Response& res) {
            ++logins;
            if (req.body == R"({"pin":"1357"})")
                return res.set_content(R"({"token":"t"})", "application/json");
            res.status = 429;
            res.set_content(R"({"error":"too many wrong PINs"})", "application/json");
        });
        server.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
            res.set_content(std::to_string(req.body.size()), "text/plain");
        });
        server.Get("/api/v1/events", [this](const httplib::Request&, httplib::Response& res) {
            res.set_chunked_content_provider(
                "text/event-stream", [this](std::size_t, httplib::DataSink& sink) {
                    if (streams_end) return false;
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                    return sink.write(": hi\n\n", 6);
                });
        });
        port = server.bind_to_any_port("127.0.0.1");
        REQUIRE(port > 0);
        thread = std::thread([this] { server.listen_after_bind(); });
        REQUIRE(eventually([&] { return server.is_running(); }, 50));
    }
    void release_slow() {
        {
            std::lock_guard lock(slow_mutex);
            slow_release = true;
        }
        slow_cv.notify_all();
    }
    ~GuardFixture() {
        release_slow();
        streams_end = true;
        server.stop();
        thread.join();
        server.shutdown_guard();
    }
};

struct Sockets {
    std::vector<int> fds;
    ~Sockets() {
        for (int fd : fds)
            ::close(fd);
    }
};

bool closed_by_server(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char c[512];
    return ::recv(fd, c, sizeof c, MSG_DONTWAIT) <= 0;
}

} // namespace

TEST_CASE("HTTP guard: trickled headers are cut at the request deadline") {
    HttpGuardLimits limits;
    limits.request_deadline = std::chrono::milliseconds(1000);
    GuardFixture f(limits);
    const int fd = connect_from("127.0.0.2", f.port);
    REQUIRE(fd >= 0);
    const std::string req =
        "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(60, 'a');
    // One byte every 50 ms would take 4 s; the server must give up after about 1 s.
    const auto start = std::chrono::steady_clock::now();
    bool cut = false;
    for (char c : req) {
        if (!send_text(fd, std::string_view(&c, 1))) {
            cut = true;
            break;
        }
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) > 0) {
            RawReply r = read_reply(fd, 1000);
            CHECK(r.status == 408);
            cut = true;
            break;
        }
    }
    const auto took = std::chrono::steady_clock::now() - start;
    ::close(fd);
    CHECK(cut);
    CHECK(took < std::chrono::milliseconds(3500));
}

TEST_CASE("HTTP guard: 300 idle and trickling sockets do not starve requests") {
    GuardFixture f(HttpGuardLimits{});
    Sockets hostile;
    for (int i = 0; i < 300; ++i) {
        const int fd = connect_from(i % 2 ? "127.0.0.2" : "127.0.0.3", f.port);
        REQUIRE(fd >= 0);
        hostile.fds.push_back(fd);
        if (i % 2)
            send_text(fd, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a"); // never finished
    }
    // The old server (48 threads, 5 s read timeout per recv) left these waiting for 5 s and
    // more; here each is served at once. The 2 s bound is a failure bound, not a goal (the
    // goal is measured in bench/bench_hostile).
    for (int i = 0; i < 20; ++i) {
        CAPTURE(i);
        RawReply r = raw_request("127.0.0.1", f.port, "GET", "/ping", "", "", 2000);
        CHECK(r.status == 200);
        CHECK(r.body == "pong");
    }
}

TEST_CASE("HTTP guard: a chunked body past the limit gets 413, not the daemon's memory") {
    HttpGuardLimits limits;
    limits.max_body = 64 << 10;
    GuardFixture f(limits);
    const int fd = connect_from("127.0.0.2", f.port);
    REQUIRE(fd >= 0);
    send_text(fd, "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: "
                  "chunked\r\nContent-Type: application/json\r\n\r\n");
    const std::string chunk = "1000\r\n" + std::string(4096, 'x') + "\r\n";
    // 1 MiB in 4 KiB chunks, far past 64 KiB; the server answers 413 and closes long before.
    for (int i = 0; i < 256; ++i)
        if (!send_text(fd, chunk)) break;
    RawReply r = read_reply(fd, 3000);
    ::close(fd);
    CHECK(r.status == 413);
    // Under the limit, chunked still works.
    const int ok = connect_from("127.0.0.2", f.port);
    REQUIRE(ok >= 0);
    send_text(ok, "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: "
                  "chunked\r\nConnection: close\r\n\r\n" +
                      chunk + chunk + "0\r\n\r\n");
    RawReply r2 = read_reply(ok, 3000);
    ::close(ok);
    CHECK(r2.status == 200);
    CHECK(r2.body == "8192");
}

TEST_CASE("HTTP guard: event streams have their own capped pool") {
    HttpGuardLimits limits;
    limits.stream_workers = 2;
    GuardFixture f(limits);
    Sockets streams;
    for (int i = 0; i < 2; ++i) {
        const int fd = connect_from("127.0.0.2", f.port);
        REQUIRE(fd >= 0);
        streams.fds.push_back(fd);
        send_text(fd, "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        pollfd p{fd, POLLIN, 0};
        REQUIRE(::poll(&p, 1, 3000) > 0); // streaming
    }
    RawReply third = raw_request("127.0.0.2", f.port, "GET", "/api/v1/events", "", "", 3000);
    CHECK(third.status == 503);
    CHECK(third.body.find("too many event streams") != std::string::npos);
    // Requests do not wait for streams.
    for (int i = 0; i < 5; ++i)
        CHECK(raw_request("127.0.0.1", f.port, "GET", "/ping", "", "", 2000).status == 200);
}

TEST_CASE("HTTP guard: one address cannot take every connection") {
    HttpGuardLimits limits;
    limits.max_per_address = 4;
    GuardFixture f(limits);
    Sockets idle;
    for (int i = 0; i < 4; ++i)
        idle.fds.push_back(connect_from("127.0.0.2", f.port));
    REQUIRE(eventually([&] { return f.server.open_connections() == 4; }, 30));
    const int fifth = connect_from("127.0.0.2", f.port);
    REQUIRE(fifth >= 0);
    CHECK(closed_by_server(fifth, 2000));
    ::close(fifth);
    CHECK(raw_request("127.0.0.3", f.port, "GET", "/ping", "", "", 2000).status == 200);
}

TEST_CASE("HTTP guard: the therapist's command is served while every request worker is busy") {
    HttpGuardLimits limits;
    limits.request_workers = 2;
    // "/ping?urgent" stands for a therapist's session command (control/request_lanes.cpp).
    GuardFixture f(limits, [](const RequestSummary& r) {
        return RequestClass{r.target == "/ping?urgent" ? RequestLane::Urgent : RequestLane::Trusted,
                            0};
    });
    // Slow GETs hold both workers and queue behind them (a report, a big file...).
    Sockets slow;
    for (int i = 0; i < 6; ++i) {
        const int fd = connect_from("127.0.0.2", f.port);
        REQUIRE(fd >= 0);
        send_text(fd, "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        slow.fds.push_back(fd);
    }
    REQUIRE(eventually([&] { return f.slow_in.load() == 2; }, 30)); // both workers held
    RawReply urgent = raw_request("127.0.0.1", f.port, "GET", "/ping?urgent", "", "", 2000);
    CHECK(urgent.status == 200);
    // An ordinary request waits its turn (it is not refused: it is queued).
    const int fd = connect_from("127.0.0.1", f.port);
    REQUIRE(fd >= 0);
    send_text(fd, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    CHECK(read_reply(fd, 300).status == 0);
    f.release_slow();
    CHECK(read_reply(fd, 5000).status == 200);
    ::close(fd);
}

TEST_CASE("tablet API: login rules over real sockets from 127.0.0.2 and 127.0.0.3") {
    TempDir dir;
    const fs::path lib_dir = dir.path / "lib";
    const int port = free_loopback_port();
    write_text(
        lib_dir / "room.json",
        Json{{"room", "guard-test"},
             {"control",
              {{"listen", "127.0.0.1:" + std::to_string(port)},
               {"users",
                Json::array(
                    {{{"name", "t"}, {"role", "therapist"}, {"pin_hash", hash_pin("1357")}},
                     {{"name", "k"}, {"role", "clinic"}, {"pin_hash", hash_pin("2468")}}})}}}}
            .dump(2));
    Problems problems;
    Library lib = load_library(lib_dir, problems);
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    ManualDeviceClock auth_clock;
    RoomServicesOptions options = test_room_options(dir.path / "state");
    options.auth_clock = &auth_clock;
    RoomServices services(std::move(lib), options, clock, device_clock);
    services.start();
    REQUIRE(services.http());
    const std::string json = "Content-Type: application/json\r\n";
    auto login = [&](const std::string& from, const std::string& pin,
                     const std::string& device = "") {
        Json body = {{"pin", pin}};
        if (!device.empty()) body["device"] = device;
        return raw_request(from, port, "POST", "/api/v1/login", json, body.dump());
    };
    // 127.0.0.3 is a tablet that has logged in before (a known device): the wrong PINs below
    // use up the budget all unknown devices share (test_access_load.cpp), never its own.
    auto device_of = [](const RawReply& r) {
        return Json::parse(r.body).value("device", std::string());
    };
    std::string known = device_of(login("127.0.0.3", "2468"));
    auto known_login = [&](const std::string& pin) {
        RawReply r = login("127.0.0.3", pin, known);
        if (r.status == 200) known = device_of(r);
        return r;
    };

    SUBCASE("the throttle: backoff steps, lockout after ten, expiry, per address") {
        // Hand-derived from docs/security.md: after wrong PIN n the address waits this long.
        const int wait_s[] = {0, 0, 1, 2, 4, 8, 16, 32, 64, 900};
        for (int n = 1; n <= 10; ++n) {
            CAPTURE(n);
            RawReply r = login("127.0.0.2", "0000");
            REQUIRE(r.status == 401);
            CHECK(Json::parse(r.body)["retry_after"].get<double>() ==
                  doctest::Approx(wait_s[n - 1]));
            if (wait_s[n - 1] == 0) continue;
            RawReply refused = login("127.0.0.2", "1357"); // right PIN, not checked
            CHECK(refused.status == 429);
            CHECK(refused.head.find("Retry-After: " + std::to_string(wait_s[n - 1] + 1)) !=
                  std::string::npos);
            CHECK(known_login("1357").status == 200); // the other address is not blocked
            auth_clock.advance_by(std::chrono::seconds(wait_s[n - 1]));
        }
        // advance_by above already passed the 15 minutes: the lockout has expired, but the
        // ten used up the unknown devices' budget: the next comes 20 minutes after the first.
        RawReply budget = login("127.0.0.2", "1357");
        CHECK(budget.status == 429);
        CHECK(budget.body.find("does not know") != std::string::npos);
        auth_clock.advance_by(std::chrono::minutes(3));
        CHECK(login("127.0.0.2", "1357").status == 200);
    }
    SUBCASE("locked out for 15 minutes, whatever PIN") {
        for (int n = 1; n <= 10; ++n) {
            RawReply r = login("127.0.0.2", "0000");
            REQUIRE(r.status == 401);
            if (n < 10)
                auth_clock.advance_by(std::chrono::milliseconds(
                    static_cast<long>(Json::parse(r.body)["retry_after"].get<double>() * 1000)));
        }
        auth_clock.advance_by(std::chrono::minutes(14));
        CHECK(login("127.0.0.2", "2468").status == 429);
        CHECK(known_login("2468").status == 200);
        auth_clock.advance_by(std::chrono::minutes(1));
        CHECK(login("127.0.0.2", "2468").status == 429); // the shared budget, not the address
        auth_clock.advance_by(std::chrono::minutes(5));
        CHECK(login("127.0.0.2", "2468").status == 200);
    }
    SUBCASE("a login that is not application/json is refused and not counted") {
        for (int i = 0; i < 12; ++i)
            CHECK(raw_request("127.0.0.2", port, "POST", "/api/v1/login",
                              "Content-Type: text/plain\r\n", R"({"pin":"0000"})")
                      .status == 415);
        CHECK(login("127.0.0.2", "1357").status == 200);
    }
    SUBCASE("a foreign Host header is refused (DNS rebinding)") {
        const int fd = connect_from("127.0.0.2", port);
        REQUIRE(fd >= 0);
        send_text(fd, "GET / HTTP/1.1\r\nHost: evil.example:" + std::to_string(port) +
                          "\r\nConnection: close\r\n\r\n");
        CHECK(read_reply(fd, 3000).status == 421);
        ::close(fd);
        CHECK(raw_request("127.0.0.2", port, "GET", "/").status == 200);
    }
    SUBCASE("?token= is for the event stream only; logout ends it") {
        RawReply ok = login("127.0.0.3", "1357");
        REQUIRE(ok.status == 200);
        const std::string token = Json::parse(ok.body)["token"].get<std::string>();
        CHECK(raw_request("127.0.0.3", port, "GET", "/api/v1/state?token=" + token).status == 401);
        CHECK(raw_request("127.0.0.3", port, "GET", "/api/v1/state",
                          "Authorization: Bearer " + token + "\r\n")
                  .status == 200);
        CHECK(raw_request("127.0.0.3", port, "POST", "/api/v1/logout?token=" + token).status ==
              401);
        const int stream = connect_from("127.0.0.3", port);
        REQUIRE(stream >= 0);
        send_text(stream,
                  "GET /api/v1/events?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        RawReply head = read_reply(stream, 3000);
        CHECK(head.status == 200);
        CHECK(raw_request("127.0.0.3", port, "POST", "/api/v1/logout",
                          "Authorization: Bearer " + token + "\r\n")
                  .status == 200);
        CHECK(raw_request("127.0.0.3", port, "GET", "/api/v1/state",
                          "Authorization: Bearer " + token + "\r\n")
                  .status == 401);
        // The stream ends at its next keep-alive at the latest (15 s).
        char buf[4096];
        bool ended = false;
        for (int i = 0; i < 200 && !ended; ++i) {
            pollfd p{stream, POLLIN, 0};
            if (::poll(&p, 1, 100) > 0) ended = ::recv(stream, buf, sizeof buf, 0) <= 0;
        }
        ::close(stream);
        CHECK(ended);
    }
    SUBCASE("JSON nested 100000 deep in a clinic PUT is refused; the room still answers") {
        RawReply ok = login("127.0.0.3", "2468");
        REQUIRE(ok.status == 200);
        const std::string auth =
            "Authorization: Bearer " + Json::parse(ok.body)["token"].get<std::string>() + "\r\n";
        const std::string deep =
            "{\"room\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
        RawReply r = raw_request("127.0.0.3", port, "PUT", "/api/v1/room", auth + json, deep);
        CHECK(r.status == 400);
        CHECK(r.body.find("nests deeper") != std::string::npos);
        CHECK(raw_request("127.0.0.3", port, "GET", "/api/v1/state", auth).status == 200);
    }
    services.stop();
}

namespace {

// Every login is a stranger's here; "/ping?urgent" stands for the therapist's command.
RequestClass logins_are_strangers(const RequestSummary& r) {
    if (r.target == "/api/v1/login") return {RequestLane::Stranger, 0};
    return {r.target == "/ping?urgent" ? RequestLane::Urgent : RequestLane::Trusted, 0};
}

int send_login(const std::string& from, int port, const std::string& pin) {
    const int fd = connect_from(from, port);
    if (fd < 0) return fd;
    const std::string body = R"({"pin":")" + pin + "\"}";
    send_text(fd, "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                  "Content-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body);
    return fd;
}

bool answered_yet(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
}

} // namespace

TEST_CASE("HTTP guard: a stranger's refused login is answered late, holding no worker and no "
          "login slot") {
    HttpGuardLimits limits;
    limits.login_workers = 1;
    limits.trusted_login_workers = 0;
    limits.stranger_logins_per_address = 1;
    limits.refused_login_delay = std::chrono::milliseconds(3000);
    GuardFixture f(limits, logins_are_strangers);
    // Five wrong PINs from five addresses: the one login worker refuses all five while the
    // first is still held (a held refusal holds no worker), none is answered yet...
    const auto sent = std::chrono::steady_clock::now();
    Sockets refused;
    for (int a = 2; a <= 6; ++a) {
        refused.fds.push_back(send_login("127.0.0." + std::to_string(a), f.port, "0000"));
        REQUIRE(refused.fds.back() >= 0);
    }
    REQUIRE(eventually([&] { return f.server.held_refusals() == 5; }, 30));
    CHECK(f.logins == 5);
    for (int fd : refused.fds)
        CHECK_FALSE(answered_yet(fd));
    // ...nor does it hold its address's one login slot: the right PIN from 127.0.0.2 is
    // served now; and the therapist's command is.
    RawReply right = raw_request("127.0.0.2", f.port, "POST", "/api/v1/login",
                                 "Content-Type: application/json\r\n", R"({"pin":"1357"})", 2000);
    CHECK(right.status == 200);
    CHECK(raw_request("127.0.0.1", f.port, "GET", "/ping?urgent", "", "", 2000).status == 200);
    // Each refusal comes, 429, after the delay (measured from before it was sent).
    for (int fd : refused.fds) {
        RawReply r = read_reply(fd, 10000);
        CHECK(r.status == 429);
        CHECK(r.body.find("too many wrong PINs") != std::string::npos);
        CHECK(std::chrono::steady_clock::now() - sent >= std::chrono::milliseconds(3000));
    }
    CHECK(f.server.held_refusals() == 0);
}

TEST_CASE("HTTP guard: held refusals never keep a newcomer out: the oldest is answered at once") {
    HttpGuardLimits limits;
    limits.max_strangers = 5;
    limits.login_workers = 1;
    limits.refused_login_delay = std::chrono::seconds(60);
    GuardFixture f(limits, logins_are_strangers);
    Sockets refused;
    for (int a = 2; a <= 6; ++a)
        refused.fds.push_back(send_login("127.0.0." + std::to_string(a), f.port, "0000"));
    REQUIRE(eventually([&] { return f.server.held_refusals() == 5; }, 30));
    CHECK_FALSE(answered_yet(refused.fds.front()));
    // Every stranger's slot is a held refusal; the therapist's new connection takes the oldest's.
    CHECK(raw_request("127.0.0.1", f.port, "GET", "/ping?urgent", "", "", 2000).status == 200);
    std::vector<pollfd> fds;
    for (int fd : refused.fds)
        fds.push_back({fd, POLLIN, 0});
    REQUIRE(::poll(fds.data(), fds.size(), 2000) == 1); // one of them, not a minute later
    for (const auto& p : fds)
        if (p.revents & POLLIN) CHECK(read_reply(p.fd, 2000).status == 429);
    CHECK(f.server.held_refusals() == 4);
}
