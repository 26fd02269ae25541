// TLS on both networks the room speaks: mqtts:// to a mosquitto TLS listener with the
// room's CA file, and the tablet API over HTTPS (control.tls). Certificates are made here
// with the openssl command for 127.0.0.1, and by `stillroom tls init` for a host name.
#include "../unit/temp_dir.hpp"
#include "helpers.hpp"
#include "process.hpp"

#include "services.hpp"

#include "clinic/clinic_service.hpp"
#include "control/tls_certs.hpp"

#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <doctest/doctest.h>

#include <cstdlib>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

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

namespace {

struct TlsExchange {
    bool verified = false;
    std::string verify_error;
    std::string response; // the raw HTTP response (when verified)
};

// A TLS client as a tablet's browser is: it trusts only ca.pem, sends `name` as SNI and checks
// the certificate against it, then sends `request` and reads the whole answer (bounded).
TlsExchange tls_exchange(int port, const fs::path& ca, const std::string& name,
                         const std::string& request) {
    TlsExchange out;
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SSL* ssl = SSL_new(ctx);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        SSL_set_fd(ssl, fd);
        // SSL_set_tlsext_host_name without its macro's C cast.
        SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(name.c_str()));
        SSL_set1_host(ssl, name.c_str());
        const bool connected = SSL_connect(ssl) == 1;
        const long result = SSL_get_verify_result(ssl);
        out.verified = connected && result == X509_V_OK;
        out.verify_error = X509_verify_cert_error_string(result);
        if (out.verified && SSL_write(ssl, request.data(), static_cast<int>(request.size())) > 0) {
            char buf[4096];
            for (int i = 0; i < 1000; ++i) {
                const int n = SSL_read(ssl, buf, sizeof buf);
                if (n <= 0) break;
                out.response.append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    SSL_free(ssl);
    ::close(fd);
    SSL_CTX_free(ctx);
    return out;
}

std::string get_state_request(const std::string& host) {
    return "GET /api/v1/state HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
}

void write_tls_room(const fs::path& lib, int http_port, const fs::path& tls_dir) {
    write_text(lib / "room.json",
               Json{{"room", "tls-init"},
                    {"control",
                     {{"listen", "127.0.0.1:" + std::to_string(http_port)},
                      {"hosts", Json::array({"room-1.clinic.test"})},
                      {"tls",
                       {{"cert", (tls_dir / "cert.pem").string()},
                        {"key", (tls_dir / "key.pem").string()}}},
                      {"users", Json::array({{{"name", "c"},
                                              {"role", "clinic"},
                                              {"pin_hash", hash_pin("2468")}}})}}}}
                   .dump());
    write_text(lib / "sessions/s.json", R"({"name":"S","phases":[{"id":"one","duration":"1h"}]})");
}

Json tls_state(int http_port, const fs::path& ca) {
    httplib::SSLClient client("127.0.0.1", http_port);
    client.set_ca_cert_path(ca.c_str());
    client.enable_server_certificate_verification(true);
    auto login = client.Post("/api/v1/login", R"({"pin":"2468"})", "application/json");
    if (!login || login->status != 200) return Json();
    const std::string token = Json::parse(login->body)["token"].get<std::string>();
    auto st = client.Get("/api/v1/state", {{"Authorization", "Bearer " + token}});
    return st && st->status == 200 ? Json::parse(st->body) : Json();
}

} // namespace

TEST_CASE("tls init: the room serves the certificate it made, verified against ca.pem for its "
          "host name; control.hosts answers that name and refuses others; the expiry warning") {
    TempDir dir;
    const fs::path tls = dir.path / "tls";
    const std::string init = std::string(STILLROOM_EXE) + " tls init --dir '" + tls.string() +
                             "' --host room-1.clinic.test --host 127.0.0.1 > '" +
                             (dir.path / "init.txt").string() + "' 2>&1";
    REQUIRE(std::system(init.c_str()) == 0);
    const std::string printed = read_text(dir.path / "init.txt");
    CHECK(printed.find(R"("hosts": ["room-1.clinic.test", "127.0.0.1"])") != std::string::npos);
    CHECK(printed.find(R"("tls": {"cert": ")" + (tls / "cert.pem").string() + R"(", "key": ")" +
                       (tls / "key.pem").string() + R"("})") != std::string::npos);
    CHECK(printed.find("iPad") != std::string::npos);
    CHECK(printed.find("Android") != std::string::npos);

    const int http_port = free_loopback_port();
    write_tls_room(dir.path / "lib", http_port, tls);
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    {
        Problems problems;
        RoomServices services(load_library(dir.path / "lib", problems),
                              test_room_options(dir.path / "state"), clock, device_clock);
        services.start();
        REQUIRE(services.http());
        // The tablet's view: trusted through ca.pem for the room's name, and answered (401:
        // the API wants a login), not refused as another host.
        auto named =
            tls_exchange(http_port, tls / "ca.pem", "room-1.clinic.test",
                         get_state_request("room-1.clinic.test:" + std::to_string(http_port)));
        CHECK_MESSAGE(named.verified, named.verify_error);
        CHECK(named.response.rfind("HTTP/1.1 401", 0) == 0);
        // The same connection naming another host: refused (DNS rebinding guard).
        auto other_host = tls_exchange(http_port, tls / "ca.pem", "room-1.clinic.test",
                                       get_state_request("evil.example"));
        CHECK(other_host.response.rfind("HTTP/1.1 421", 0) == 0);
        // A name the certificate does not carry fails verification, as on the tablet.
        auto wrong = tls_exchange(http_port, tls / "ca.pem", "room-2.clinic.test",
                                  get_state_request("room-2.clinic.test"));
        CHECK_FALSE(wrong.verified);
        // A fresh certificate: a year to go, no warning.
        const Json st = tls_state(http_port, tls / "ca.pem");
        REQUIRE(st.contains("tls"));
        CHECK(st["tls"]["days_left"].get<int>() >= 396);
        CHECK(st["tls"]["renew"] == false);
        services.stop();
    }
    // tls renew through the command: the same names, the same CA.
    const std::string renew =
        std::string(STILLROOM_EXE) + " tls renew --dir '" + tls.string() + "' > /dev/null 2>&1";
    REQUIRE(std::system(renew.c_str()) == 0);
    std::string error;
    auto renewed = read_certificate(tls / "cert.pem", &error);
    REQUIRE(renewed);
    CHECK(renewed->names == std::vector<std::string>{"room-1.clinic.test", "127.0.0.1"});
    // A certificate 17 days from its end (issued 380 days ago): the page's warning is on.
    const std::int64_t now = device_clock.wall_unix_ms() / 1000;
    REQUIRE(tls_renew(TlsFiles{tls}, {}, now - 380LL * 86400, &error));
    {
        Problems problems;
        RoomServices services(load_library(dir.path / "lib", problems),
                              test_room_options(dir.path / "state"), clock, device_clock);
        services.start();
        auto named = tls_exchange(http_port, tls / "ca.pem", "room-1.clinic.test",
                                  get_state_request("room-1.clinic.test"));
        CHECK_MESSAGE(named.verified, named.verify_error);
        const Json st = tls_state(http_port, tls / "ca.pem");
        REQUIRE(st.contains("tls"));
        CHECK(st["tls"]["days_left"].get<int>() >= 16);
        CHECK(st["tls"]["days_left"].get<int>() <= 17);
        CHECK(st["tls"]["renew"] == true);
        services.stop();
    }
}

TEST_CASE("control.hosts: the clinic overview answers the names in clinic.json and refuses "
          "others") {
    TempDir dir;
    const int broker_port = free_loopback_port();
    Broker broker(dir.path.string(), broker_port);
    REQUIRE(broker.start());
    const int http_port = free_loopback_port();
    Problems problems;
    auto config = load_clinic_config(
        Json{{"clinic", "north"},
             {"mqtt", {{"url", "mqtt://127.0.0.1:" + std::to_string(broker_port)}}},
             {"control",
              {{"listen", "127.0.0.1:" + std::to_string(http_port)},
               {"hosts", Json::array({"Nurses.Clinic.Test"})},
               {"users",
                Json::array(
                    {{{"name", "desk"}, {"role", "clinic"}, {"pin_hash", hash_pin("2468")}}})}}}},
        problems);
    REQUIRE_MESSAGE(config, problems.to_string());
    SteadyDeviceClock clock;
    ClinicService service(*config, clock);
    REQUIRE_FALSE(service.start());
    struct Row {
        const char* host;
        int status;
    };
    const Row rows[] = {{"nurses.clinic.test", 401},
                        {"NURSES.clinic.test:8090", 401},
                        {"127.0.0.1", 401},
                        {"nurses.clinic.test.evil.example", 421},
                        {"evil.example", 421}};
    for (const auto& r : rows) {
        CAPTURE(r.host);
        httplib::Client client("127.0.0.1", http_port);
        auto res = client.Get("/api/v1/rooms", {{"Host", r.host}});
        REQUIRE(res);
        CHECK(res->status == r.status);
    }
    service.stop();
    broker.stop();
}
