// Issue 25 items 7, 8, 9 and 10 on the real room and its HTTP API (loopback): a FLAC bomb made
// with sox refused from its header, the whole decode of an accepted file after the answer,
// unfinished uploads deleted at start-up, the file the running session plays neither
// replaced nor deleted, and every edge of a Range request (RFC 9110 sections 14.1.2, 14.4,
// 15.5.17) read from the raw reply.
#include "../unit/temp_dir.hpp"
#include "api_client.hpp"
#include "helpers.hpp"
#include "process.hpp"
#include "raw_http.hpp"
#include "services.hpp"
#include "sine_wav.hpp"

#include "playlists/sndfile.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

// The room with a curator and a therapist; a session "s" plays audio/a.wav.
struct UploadRoom {
    TempDir dir;
    fs::path lib_dir = dir.path / "lib";
    int port = free_loopback_port();
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    std::unique_ptr<RoomServices> services;

    explicit UploadRoom(const std::function<void(const fs::path&)>& before_start = {}) {
        write_text(lib_dir / "room.json", Json{{"room", "uploads"},
                                               {"control",
                                                {{"listen", "127.0.0.1:" + std::to_string(port)},
                                                 {"users", three_users()}}}}
                                              .dump(2));
        write_sine_wav(lib_dir / "audio/a.wav", 3);
        write_sine_wav(lib_dir / "audio/b.wav", 2);
        write_text(lib_dir / "playlists/p.json",
                   R"({"name":"P","loop":true,"tracks":[{"file":"audio/a.wav"}]})");
        write_text(lib_dir / "sessions/s.json",
                   R"({"name":"S","phases":[{"id":"only","duration":"1h","playlist":"p"}],
                       "end":{"fade":"1s"}})");
        if (before_start) before_start(lib_dir);
        Problems problems;
        Library lib = load_library(lib_dir, problems);
        INFO(problems.to_string());
        services = std::make_unique<RoomServices>(
            std::move(lib), test_room_options(dir.path / "state"), clock, device_clock);
        services->start();
        REQUIRE(services->http());
    }
    ~UploadRoom() { services->stop(); }
};

// One raw GET with a Range header, from 127.0.0.2 (a header is read exactly as sent).
RawReply raw_range(int port, const std::string& token, const std::string& range) {
    const int fd = connect_from("127.0.0.2", port);
    REQUIRE(fd >= 0);
    REQUIRE(send_text(fd, "GET /api/v1/audio/files/audio/a.wav HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Authorization: Bearer " +
                              token + "\r\nRange: " + range + "\r\nConnection: close\r\n\r\n"));
    RawReply r = read_reply(fd, 10'000);
    ::close(fd);
    return r;
}

std::string header_of(const RawReply& r, const std::string& name) {
    std::string head = r.head;
    std::string lower = head;
    for (auto& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string key = name;
    for (auto& c : key)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower.find("\r\n" + key + ":");
    if (at == std::string::npos) return "(none)";
    auto from = at + 2 + key.size() + 1;
    while (from < head.size() && head[from] == ' ')
        ++from;
    return head.substr(from, head.find("\r\n", from) - from);
}

} // namespace

TEST_CASE("Range requests on an audio file: every edge, 416 with bytes */SIZE when none fits") {
    UploadRoom room;
    ApiClient api(room.port);
    const std::string curator = api.login("8642");
    const std::string whole = read_text(room.lib_dir / "audio/a.wav");
    const std::size_t size = whole.size();
    const std::string S = std::to_string(size);
    struct Row {
        std::string range;
        int status;
        std::string content_range;
        std::string body; // for 206
    };
    const Row rows[] = {
        {"bytes=0-0", 206, "bytes 0-0/" + S, whole.substr(0, 1)},
        {"bytes=" + std::to_string(size - 1) + "-" + std::to_string(size - 1), 206,
         "bytes " + std::to_string(size - 1) + "-" + std::to_string(size - 1) + "/" + S,
         whole.substr(size - 1)},
        {"bytes=" + std::to_string(size - 1) + "-", 206,
         "bytes " + std::to_string(size - 1) + "-" + std::to_string(size - 1) + "/" + S,
         whole.substr(size - 1)},
        {"bytes=-1", 206,
         "bytes " + std::to_string(size - 1) + "-" + std::to_string(size - 1) + "/" + S,
         whole.substr(size - 1)},
        {"bytes=-100", 206,
         "bytes " + std::to_string(size - 100) + "-" + std::to_string(size - 1) + "/" + S,
         whole.substr(size - 100)},
        {"bytes=-" + std::to_string(size + 500), 206,
         "bytes 0-" + std::to_string(size - 1) + "/" + S, whole},
        {"bytes=100-" + std::to_string(size + 10'000), 206,
         "bytes 100-" + std::to_string(size - 1) + "/" + S, whole.substr(100)},
        {"bytes=-0", 416, "bytes */" + S, ""},
        {"bytes=" + S + "-", 416, "bytes */" + S, ""},
        {"bytes=" + std::to_string(size + 10) + "-" + std::to_string(size + 20), 416,
         "bytes */" + S, ""},
    };
    for (const auto& row : rows) {
        CAPTURE(row.range);
        const RawReply r = raw_range(room.port, curator, row.range);
        CAPTURE(r.head);
        CHECK(r.status == row.status);
        CHECK(header_of(r, "Content-Range") == row.content_range);
        if (row.status == 206) {
            CHECK(header_of(r, "Content-Length") == std::to_string(row.body.size()));
            CHECK(r.body == row.body);
        } else {
            CHECK(Json::parse(r.body, nullptr, false)["error"].is_string());
        }
    }
    // The server is still whole: a plain GET after them all.
    auto r = api.call("GET", "/api/v1/audio/files/audio/a.wav", curator);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == whole);
}

TEST_CASE("a FLAC bomb (hours of silence made with sox) is refused from its header; an accepted "
          "file is decoded whole after the answer") {
    UploadRoom room;
    ApiClient api(room.port);
    const std::string curator = api.login("8642");
    const fs::path bomb = room.dir.path / "bomb.flac";
    // 26 hours of digital silence at 1 kHz (-D: no dither, so the blocks are constant).
    const std::string sox =
        "sox -D -n -r 1000 -c 1 -b 16 '" + bomb.string() + "' trim 0 26:00:00 2>/dev/null";
    REQUIRE(std::system(sox.c_str()) == 0);
    const std::string bytes = read_text(bomb);
    CAPTURE(bytes.size());
    REQUIRE(bytes.size() < (1u << 20)); // one request
    auto r = api.call("PUT", "/api/v1/audio/files/audio/bomb.flac", curator, bytes);
    REQUIRE(r);
    CAPTURE(r->body);
    CHECK(r->status == 422);
    CHECK(r->body.find("26:00:00 long") != std::string::npos);
    CHECK_FALSE(fs::exists(room.lib_dir / "audio/bomb.flac"));
    for (const auto& e : fs::directory_iterator(room.lib_dir / "audio"))
        CHECK(e.path().filename().string().find(".upload") == std::string::npos);

    // Under the limit: saved at once; the whole decode is reported later in the listing.
    const std::string ok_bytes = read_text(room.lib_dir / "audio/b.wav");
    r = api.call("PUT", "/api/v1/audio/files/audio/c.wav", curator, ok_bytes);
    REQUIRE(r);
    CHECK(r->status == 201);
    CHECK(Json::parse(r->body)["check"] == "pending");
    Json check;
    for (int i = 0; i < 200; ++i) { // bounded: 20 s
        const Json list = api.json("GET", "/api/v1/audio/files", curator, "", 200);
        for (const auto& f : list["files"])
            if (f["file"] == "audio/c.wav") check = f.value("check", Json(nullptr));
        if (check == "ok") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(check == "ok");
}

TEST_CASE("an upload's loudness (LUFS) is measured by its background check and listed before any "
          "playlist uses it") {
    UploadRoom room;
    ApiClient api(room.port);
    const std::string curator = api.login("8642");
    // EBU Tech 3341 (loudness metering, test 1): a stereo 1 kHz sine at -23.0 dBFS reads
    // -23.0 LUFS (+-0.1 LU). Made by sox at 48 kHz, 16 bits; 5 s rather than the test's 20
    // (a steady tone's integrated loudness does not depend on its length), so it fits one
    // request under the 1 MiB limit.
    const fs::path tone = room.dir.path / "tone.wav";
    const std::string sox = "sox -D -n -r 48000 -c 2 -b 16 '" + tone.string() +
                            "' synth 5 sine 1000 gain -23 2>/dev/null";
    REQUIRE(std::system(sox.c_str()) == 0);
    const std::string bytes = read_text(tone);
    REQUIRE(bytes.size() < (1u << 20));
    auto r = api.call("PUT", "/api/v1/audio/files/audio/tone.wav", curator, bytes);
    REQUIRE(r);
    CAPTURE(r->body);
    REQUIRE(r->status == 201);
    const Json saved = Json::parse(r->body);
    // The answer never waits for the whole decode: the loudness follows in the listing.
    CHECK(saved.contains("lufs"));
    CHECK(saved["lufs"].is_null());
    Json lufs;
    for (int i = 0; i < 200 && !lufs.is_number(); ++i) { // bounded: 20 s
        const Json list = api.json("GET", "/api/v1/audio/files", curator, "", 200);
        for (const auto& f : list["files"])
            if (f["file"] == "audio/tone.wav") lufs = f.value("lufs", Json(nullptr));
        if (!lufs.is_number()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CAPTURE(lufs.dump());
    REQUIRE(lufs.is_number());
    CHECK(std::fabs(lufs.get<double>() - -23.0) <= 0.1);
}

TEST_CASE("unfinished uploads left by a crash are deleted when the room starts") {
    UploadRoom room([](const fs::path& lib) {
        write_text(lib / "audio/.big.flac.upload.flac", std::string(4096, 'x'));
        write_text(lib / "audio/more/.x.wav.upload.wav", std::string(4096, 'x'));
    });
    CHECK_FALSE(fs::exists(room.lib_dir / "audio/.big.flac.upload.flac"));
    CHECK_FALSE(fs::exists(room.lib_dir / "audio/more/.x.wav.upload.wav"));
    CHECK(fs::exists(room.lib_dir / "audio/a.wav"));
}

TEST_CASE("the file the running session plays is neither replaced nor deleted: 409 with why") {
    UploadRoom room;
    ApiClient api(room.port);
    const std::string curator = api.login("8642");
    const std::string therapist = api.login("1357");
    const std::string a = read_text(room.lib_dir / "audio/a.wav");
    const std::string b = read_text(room.lib_dir / "audio/b.wav");
    // Before a session: replace works.
    CHECK(api.call("PUT", "/api/v1/audio/files/audio/a.wav?replace=1", curator, a)->status == 201);
    api.json("POST", "/api/v1/session/start", therapist, R"({"template":"s"})", 200);
    auto r = api.call("PUT", "/api/v1/audio/files/audio/a.wav?replace=1", curator, b);
    REQUIRE(r);
    CAPTURE(r->body);
    CHECK(r->status == 409);
    const Json body = Json::parse(r->body);
    CHECK(body["in_use"] == true);
    CHECK(body["error"].get<std::string>().find("the running session") != std::string::npos);
    CHECK(body["error"].get<std::string>().find("playlist \"p\"") != std::string::npos);
    CHECK(read_text(room.lib_dir / "audio/a.wav") == a);
    r = api.call("DELETE", "/api/v1/audio/files/audio/a.wav", curator);
    CHECK(r->status == 409);
    CHECK(fs::exists(room.lib_dir / "audio/a.wav"));
    // A file the session does not use can go; a therapist cannot delete at all.
    CHECK(api.call("DELETE", "/api/v1/audio/files/audio/b.wav", therapist)->status == 403);
    CHECK(api.call("DELETE", "/api/v1/audio/files/audio/b.wav", curator)->status == 200);
    CHECK_FALSE(fs::exists(room.lib_dir / "audio/b.wav"));
    // After the session: replace works again.
    api.json("POST", "/api/v1/session/end", therapist, "{}", 200);
    bool replaced = false;
    for (int i = 0; i < 100 && !replaced; ++i) { // the end fade is 1 s; bounded: 10 s
        replaced =
            api.call("PUT", "/api/v1/audio/files/audio/a.wav?replace=1", curator, b)->status == 201;
        if (!replaced) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(replaced);
}
