// The HTTP guard's pure parts: where a request ends (Content-Length and chunked bodies,
// limits that hold for both), the Host check against DNS rebinding, the login media type,
// and the JSON nesting bound.
#include "control/http_guard.hpp"
#include "engine/json_reader.hpp"

#include <doctest/doctest.h>

using namespace stillroom;
using K = RequestFrame::Kind;

TEST_CASE("frame_request: Content-Length, chunked, limits") {
    // Chunked framing per RFC 9112 section 7.1 (chunk-size [ext] CRLF data CRLF ... 0 CRLF trailers
    // CRLF).
    struct Row {
        const char* name;
        std::string text;
        K kind;
        std::size_t trailing; // bytes after the request (the next one, pipelined)
    };
    const std::string head = "POST /api/v1/login HTTP/1.1\r\nHost: x\r\n";
    const Row rows[] = {
        {"no body", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", K::Complete, 0},
        {"headers not finished", "GET / HTTP/1.1\r\nHost: x\r\n", K::Incomplete, 0},
        {"length, whole", head + "Content-Length: 3\r\n\r\nabc", K::Complete, 0},
        {"length, pipelined next", head + "Content-Length: 3\r\n\r\nabcGET", K::Complete, 3},
        {"length, partial", head + "Content-Length: 3\r\n\r\nab", K::Incomplete, 0},
        {"length over the limit", head + "Content-Length: 101\r\n\r\n", K::TooLarge, 0},
        {"length not a number", head + "Content-Length: 1x\r\n\r\n", K::Bad, 0},
        {"two different lengths", head + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", K::Bad,
         0},
        {"chunked, whole", head + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
         K::Complete, 0},
        {"chunked, extension and trailer",
         head + "transfer-encoding: Chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n", K::Complete,
         0},
        {"chunked, partial", head + "Transfer-Encoding: chunked\r\n\r\n3\r\nab", K::Incomplete, 0},
        {"chunked, over the limit in total",
         head + "Transfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'a') + "\r\n40\r\n",
         K::TooLarge, 0},
        {"chunked, one huge chunk announced",
         head + "Transfer-Encoding: chunked\r\n\r\nfffffffff\r\n", K::TooLarge, 0},
        {"chunked, bad size", head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", K::Bad, 0},
        {"chunked, data without CRLF", head + "Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
         K::Bad, 0},
        {"headers over the limit", "GET / HTTP/1.1\r\nX: " + std::string(300, 'a'),
         K::HeaderTooLarge, 0},
    };
    for (const auto& r : rows) {
        CAPTURE(r.name);
        const RequestFrame f = frame_request(r.text, 256, 100);
        CHECK(f.kind == r.kind);
        if (r.kind == K::Complete) CHECK(f.length == r.text.size() - r.trailing);
    }
}

TEST_CASE(
    "frame_request: a chunked body made of many small chunks is bounded by its decoded size") {
    std::string text = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 200; ++i)
        text += "1\r\na\r\n";
    CHECK(frame_request(text, 1024, 199).kind == K::TooLarge);
    CHECK(frame_request(text + "0\r\n\r\n", 1024, 200).kind == K::Complete);
}

TEST_CASE("host_allowed: DNS rebinding names are refused") {
    const std::vector<std::string> allowed = {"room1.clinic.lan"};
    struct Row {
        const char* host;
        bool ok;
    };
    const Row rows[] = {
        {"127.0.0.1:8080", true},
        {"192.168.1.20", true},
        {"[::1]:8080", true},
        {"localhost:8080", true},
        {"LOCALHOST", true},
        {"room1.clinic.lan:8443", true},
        {"evil.example", false},
        {"evil.example:8080", false},
        {"127.0.0.1.evil.example", false},
        {"[evil]:80", false},
        {"", false},
    };
    for (const auto& r : rows) {
        CAPTURE(r.host);
        CHECK(host_allowed(r.host, allowed) == r.ok);
    }
}

TEST_CASE("is_json_media_type") {
    CHECK(is_json_media_type("application/json"));
    CHECK(is_json_media_type("Application/JSON; charset=utf-8"));
    CHECK_FALSE(is_json_media_type("text/plain"));
    CHECK_FALSE(is_json_media_type("application/x-www-form-urlencoded"));
    CHECK_FALSE(is_json_media_type(""));
}

TEST_CASE("JSON nesting is bounded wherever JSON is read") {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    CHECK(json_nesting_exceeds(deep));
    Problems p("room.json");
    CHECK_FALSE(parse_json_text(deep, p));
    CHECK(p.to_string().find("nests deeper than 64") != std::string::npos);
    CHECK(parse_json_or_discarded(deep).is_discarded());
    // At the bound it parses; brackets inside strings do not count.
    const std::string at_bound = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
    CHECK_FALSE(json_nesting_exceeds(at_bound));
    CHECK(parse_json_or_discarded(at_bound).is_array());
    const std::string quoted = "{\"a\":\"" + std::string(1000, '[') + "\\\"[\"}";
    CHECK_FALSE(json_nesting_exceeds(quoted));
    CHECK(parse_json_or_discarded(quoted).is_object());
}
