// The curator's preview tickets (docs/security.md) on the real HTTP API: a ticket streams its
// own file with Range (206) and no header, and nothing else: not another file, not after
// 60 s, not after logout, not on any other route, not for a therapist.
#include "../unit/temp_dir.hpp"
#include "api_client.hpp"
#include "helpers.hpp"
#include "process.hpp"
#include "services.hpp"

#include <doctest/doctest.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

TEST_CASE("preview tickets: one file, Range streaming, 60 s, that URL only") {
    TempDir dir;
    const fs::path lib = dir.path / "lib";
    const int port = free_loopback_port();
    write_text(
        lib / "room.json",
        Json{{"room", "preview"},
             {"control",
              {{"listen", "127.0.0.1:" + std::to_string(port)},
               {"users",
                Json::array(
                    {{{"name", "t"}, {"role", "therapist"}, {"pin_hash", hash_pin("1357")}},
                     {{"name", "c"}, {"role", "curator"}, {"pin_hash", hash_pin("8642")}}})}}}}
            .dump(2));
    // Not decodable audio is fine here: preview serves bytes; the names need audio extensions.
    std::string bytes(5000, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>('a' + i % 26);
    write_text(lib / "audio/one track.wav", bytes);
    write_text(lib / "audio/two.wav", "another file");
    Problems problems;
    Library library = load_library(lib, problems);
    ManualDeviceClock auth_clock;
    RoomServicesOptions options = test_room_options(dir.path / "state");
    options.auth_clock = &auth_clock;
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    RoomServices services(std::move(library), options, clock, device_clock);
    services.start();
    REQUIRE(services.http());
    ApiClient api(port);
    const std::string curator = api.login("8642");
    const std::string therapist = api.login("1357");

    const Json issued = api.json("POST", "/api/v1/audio/preview", curator,
                                 R"({"file":"audio/one track.wav"})", 200);
    const std::string url = issued["url"].get<std::string>();
    CHECK(url.rfind("/api/v1/audio/files/audio/one%20track.wav?ticket=", 0) == 0);
    CHECK(issued["expires_in_s"] == 60);
    CHECK(url.find(curator) == std::string::npos); // never the login token itself
    const std::string ticket = url.substr(url.find("ticket=") + 7);

    // Its file, with a Range and no Authorization header: 206 and exactly those bytes.
    auto r = api.call("GET", url, "", "", {{"Range", "bytes=1000-1999"}});
    REQUIRE(r);
    CHECK(r->status == 206);
    CHECK(r->body == bytes.substr(1000, 1000));
    CHECK(r->get_header_value("Content-Range") == "bytes 1000-1999/5000");
    r = api.call("GET", url);
    CHECK(r->status == 200);
    CHECK(r->body == bytes);

    // Another file, another route, a session action, the event stream: refused.
    CHECK(api.call("GET", "/api/v1/audio/files/audio/two.wav?ticket=" + ticket)->status == 401);
    for (const std::string path :
         {"/api/v1/audio/files", "/api/v1/state", "/api/v1/playlists", "/api/v1/history"})
        CHECK(api.call("GET", path + "?ticket=" + ticket)->status == 401);
    CHECK(api.call("GET", "/api/v1/events?ticket=" + ticket)->status == 401);
    CHECK(api.call("PUT", "/api/v1/audio/files/audio/one%20track.wav?ticket=" + ticket, "", "RIFF")
              ->status == 401);
    CHECK(api.call("POST", "/api/v1/audio/preview?ticket=" + ticket, "",
                   R"({"file":"audio/two.wav"})")
              ->status == 401);
    // A made-up ticket, a token used as a ticket: refused.
    CHECK(api.call("GET", "/api/v1/audio/files/audio/two.wav?ticket=" + std::string(32, '0'))
              ->status == 401);
    CHECK(api.call("GET", "/api/v1/audio/files/audio/two.wav?ticket=" + curator)->status == 401);

    // Only a curator asks; only library audio paths.
    CHECK(api.call("POST", "/api/v1/audio/preview", therapist, R"({"file":"audio/two.wav"})")
              ->status == 403);
    CHECK(
        api.call("POST", "/api/v1/audio/preview", curator, R"({"file":"../room.json"})")->status ==
        400);
    CHECK(api.call("POST", "/api/v1/audio/preview", curator, R"({"file":"room.json"})")->status ==
          400);
    CHECK(api.call("POST", "/api/v1/audio/preview", curator, R"({})")->status == 400);

    // 60 s later it is gone (59 s: still good).
    auth_clock.advance_by(std::chrono::seconds(59));
    CHECK(api.call("GET", url, "", "", {{"Range", "bytes=0-9"}})->status == 206);
    auth_clock.advance_by(std::chrono::seconds(2));
    CHECK(api.call("GET", url, "", "", {{"Range", "bytes=0-9"}})->status == 401);
    r = api.call("GET", url); // (without Range: httplib cuts any body to the asked range)
    CHECK(r->status == 401);
    CAPTURE(r->body);
    CHECK(r->body.find("expired") != std::string::npos);

    // Logout ends the login's tickets at once.
    const std::string url2 = api.json("POST", "/api/v1/audio/preview", curator,
                                      R"({"file":"audio/two.wav"})", 200)["url"]
                                 .get<std::string>();
    CHECK(api.call("GET", url2)->status == 200);
    api.call("POST", "/api/v1/logout", curator);
    CHECK(api.call("GET", url2)->status == 401);
    services.stop();
}
