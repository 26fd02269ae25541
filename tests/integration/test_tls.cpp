// TLS on both networks the room speaks: mqtts:// to a mosquitto TLS listener with the
// room's CA file, and the tablet API over HTTPS (control.tls). Certificates are made here
// with the openssl command for 127.0.0.1.
#include "../unit/temp_dir.hpp"
#include "helpers.hpp"
#include "process.hpp"

#include "services.hpp"

#include <httplib.h>

#include <doctest/doctest.h>

#include <cstdlib>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

// A CA and a server certificate for 127.0.0.1 signed by it.
bool make_certificates(const fs::path& d) {
    const std::string q = " >/dev/null 2>&1";
    const std::string dir = d.string();
    write_text(d / "ext.cnf", "subjectAltName=IP:127.0.0.1\n");
    return std::system(("cd '" + dir +
                        "' && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca "
                        "-keyout ca.key -out ca.pem" +
                        q)
                           .c_str()) == 0 &&
           std::system(("cd '" + dir +
                        "' && openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
                        "-keyout server.key -out server.csr" +
                        q)
                           .c_str()) == 0 &&
           std::system(
               ("cd '" + dir +
                "' && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                "-days 2 -extfile ext.cnf -out server.pem" +
                q)
                   .c_str()) == 0 &&
           // mosquitto started as root drops to its own user, which must read the test key.
           std::system(("chmod 644 '" + dir + "/server.key'").c_str()) == 0;
}

} // namespace

TEST_CASE("mqtts with a CA file, and the tablet API over HTTPS") {
    TempDir dir;
    REQUIRE(make_certificates(dir.path));
    const int mqtt_port = free_loopback_port();
    const int http_port = free_loopback_port();
    Broker broker(dir.path.string(), mqtt_port,
                  "cafile " + (dir.path / "ca.pem").string() + "\ncertfile " +
                      (dir.path / "server.pem").string() + "\nkeyfile " +
                      (dir.path / "server.key").string() + "\n");
    REQUIRE(broker.start());

    const fs::path lib = dir.path / "lib";
    write_text(lib / "room.json",
               Json{{"room", "tls"},
                    {"mqtt",
                     {{"url", "mqtts://127.0.0.1:" + std::to_string(mqtt_port)},
                      {"ca_file", (dir.path / "ca.pem").string()},
                      {"base_topic", "stillroom/tls"}}},
                    {"control",
                     {{"listen", "127.0.0.1:" + std::to_string(http_port)},
                      {"tls",
                       {{"cert", (dir.path / "server.pem").string()},
                        {"key", (dir.path / "server.key").string()}}},
                      {"users", Json::array({{{"name", "t"},
                                              {"role", "therapist"},
                                              {"pin_hash", hash_pin("1357")}}})}}}}
                   .dump());
    write_text(lib / "sessions/s.json", R"({"name":"S","phases":[{"id":"one","duration":"1h"}]})");
    Problems problems;
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    const RoomServicesOptions options = test_room_options(dir.path / "state");
    RoomServices services(load_library(lib, problems), options, clock, device_clock);
    services.start();
    CHECK(eventually([&] { return services.mqtt()->connected(); }, 50));
    REQUIRE(services.http());

    httplib::SSLClient client("127.0.0.1", http_port);
    client.set_ca_cert_path((dir.path / "ca.pem").string().c_str());
    client.enable_server_certificate_verification(true);
    auto r = client.Post("/api/v1/login", R"({"pin":"1357"})", "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
    // Plain HTTP to the TLS port gets no API.
    httplib::Client plain("127.0.0.1", http_port);
    auto p = plain.Get("/");
    CHECK((!p || p->status != 200));
    services.stop();
    broker.stop();
}
