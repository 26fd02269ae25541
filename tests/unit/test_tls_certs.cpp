// stillroom tls: the room's CA and server certificate (control/tls_certs.hpp) and the names
// the room answers to (room.json control.hosts). Certificates are checked with OpenSSL's own
// verifier against ca.pem, for the host name, as a tablet's browser does.
#include "control/tls_certs.hpp"
#include "library/room_config.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <fstream>

#include <sys/stat.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kNow = 1'796'000'000; // 2026-11-30

X509* read_pem(const fs::path& p) {
    FILE* f = std::fopen(p.c_str(), "r");
    if (!f) return nullptr;
    X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    return x;
}

// OpenSSL's verifier: cert.pem chains to ca.pem and is valid for `host` at `at_unix`.
int verify(const TlsFiles& files, const std::string& host, std::int64_t at_unix) {
    X509* ca = read_pem(files.ca());
    X509* cert = read_pem(files.cert());
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, cert, nullptr);
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at_unix));
    X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1)
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    const int ok = X509_verify_cert(ctx);
    const int result = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(cert);
    X509_free(ca);
    return result;
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 0777;
}

} // namespace

TEST_CASE("tls: certificate names a tablet can use") {
    struct Row {
        const char* name;
        bool ok;
    };
    const Row rows[] = {
        {"room-1.clinic.lan", true}, {"ROOM1", true},      {"192.168.1.20", true},
        {"fe80::1", true},           {"", false},          {"*.clinic.lan", false},
        {"-room.lan", false},        {"room-.lan", false}, {"room..lan", false},
        {"room_1.lan", false},       {"room 1", false},    {"a.b/c", false},
    };
    for (const auto& r : rows) {
        CAPTURE(r.name);
        CHECK(certificate_name_problem(r.name).empty() == r.ok);
    }
    CHECK_FALSE(certificate_name_problem(std::string(64, 'a') + ".lan").empty());
    CHECK(certificate_name_problem(std::string(63, 'a') + ".lan").empty());
}

TEST_CASE("tls init: a CA and a server certificate the CA verifies for every host name, keys "
          "0600") {
    TempDir dir;
    const TlsFiles files{dir.path / "tls"};
    std::string error;
    REQUIRE_MESSAGE(tls_init(files, {"room-1.clinic.lan", "room-1", "192.168.1.20"}, kNow, &error),
                    error);
    CHECK(mode_of(files.key()) == 0600);
    CHECK(mode_of(files.ca_key()) == 0600);
    CHECK(mode_of(files.cert()) == 0644);
    CHECK(mode_of(files.ca()) == 0644);
    auto cert = read_certificate(files.cert(), &error);
    REQUIRE(cert);
    CHECK(cert->names == std::vector<std::string>{"room-1.clinic.lan", "room-1", "192.168.1.20"});
    CHECK(cert->not_after_unix == kNow + std::int64_t{kServerDays} * 86400);
    // Verified as a tablet verifies: chain to ca.pem, the name, serverAuth.
    for (const char* host : {"room-1.clinic.lan", "room-1", "192.168.1.20"}) {
        CAPTURE(host);
        CHECK(verify(files, host, kNow + 86400) == X509_V_OK);
    }
    CHECK(verify(files, "other.clinic.lan", kNow + 86400) == X509_V_ERR_HOSTNAME_MISMATCH);
    CHECK(verify(files, "192.168.1.21", kNow + 86400) == X509_V_ERR_IP_ADDRESS_MISMATCH);
    CHECK(verify(files, "room-1.clinic.lan", kNow + 398LL * 86400) == X509_V_ERR_CERT_HAS_EXPIRED);
    // The CA is a CA, the server certificate is not (it cannot sign for other names).
    X509* ca = read_pem(files.ca());
    X509* server = read_pem(files.cert());
    CHECK(X509_check_ca(ca) >= 1);
    CHECK(X509_check_ca(server) == 0);
    CHECK(X509_check_purpose(server, X509_PURPOSE_SSL_SERVER, 0) == 1);
    X509_free(server);
    X509_free(ca);
    // A second init would replace the CA the tablets trust: refused.
    CHECK_FALSE(tls_init(files, {"room-1"}, kNow, &error));
    CHECK(error.find("use stillroom tls renew") != std::string::npos);
    // Bad names: refused, nothing written.
    TempDir other;
    CHECK_FALSE(tls_init(TlsFiles{other.path / "t"}, {"*.lan"}, kNow, &error));
    CHECK(error.find("--host *.lan") != std::string::npos);
    CHECK_FALSE(fs::exists(other.path / "t" / "ca.pem"));
    CHECK_FALSE(tls_init(TlsFiles{other.path / "t"}, {}, kNow, &error));
}

TEST_CASE("tls renew: a new key and certificate from the same CA, the same names by default") {
    TempDir dir;
    const TlsFiles files{dir.path};
    std::string error;
    REQUIRE(tls_init(files, {"room-2.clinic.lan"}, kNow, &error));
    const std::string old_key = [&] {
        std::ifstream in(files.key());
        return std::string((std::istreambuf_iterator<char>(in)), {});
    }();
    const std::int64_t later = kNow + 370LL * 86400;
    REQUIRE_MESSAGE(tls_renew(files, {}, later, &error), error);
    auto cert = read_certificate(files.cert(), &error);
    REQUIRE(cert);
    CHECK(cert->names == std::vector<std::string>{"room-2.clinic.lan"});
    CHECK(cert->not_after_unix == later + std::int64_t{kServerDays} * 86400);
    CHECK(verify(files, "room-2.clinic.lan", later + 300LL * 86400) == X509_V_OK);
    std::ifstream in(files.key());
    CHECK(std::string((std::istreambuf_iterator<char>(in)), {}) != old_key);
    CHECK(mode_of(files.key()) == 0600);
    // New names when given.
    REQUIRE(tls_renew(files, {"room-2.clinic.lan", "10.0.0.7"}, later, &error));
    CHECK(read_certificate(files.cert(), &error)->names.size() == 2);
    // A CA that would expire before the new certificate: refused with the way out.
    CHECK_FALSE(tls_renew(files, {}, kNow + (kCaDays - 100LL) * 86400, &error));
    CHECK(error.find("expires before") != std::string::npos);
    // No CA here: a clear error naming the file.
    TempDir empty;
    CHECK_FALSE(tls_renew(TlsFiles{empty.path}, {"x.lan"}, kNow, &error));
    CHECK(error.find("ca.pem") != std::string::npos);
}

TEST_CASE("room.json control.hosts: names lower-cased; a bad entry names its path") {
    auto load = [](const std::string& hosts, Problems& p) {
        return load_room_config(
            Json::parse(R"({"room":"r","control":{"listen":"0.0.0.0:8443","hosts":)" + hosts +
                        "}}"),
            p);
    };
    Problems ok("room.json");
    auto room = load(R"(["Room-1.Clinic.LAN", "room-1.", "10.0.0.7"])", ok);
    INFO(ok.to_string());
    REQUIRE(room);
    CHECK(ok.error_count() == 0);
    CHECK(room->control.hosts ==
          std::vector<std::string>{"room-1.clinic.lan", "room-1", "10.0.0.7"});
    struct Row {
        const char* hosts;
        const char* path;
    };
    const Row rows[] = {
        {R"(["ok.lan", "bad name"])", "control.hosts[1]"},
        {R"([7])", "control.hosts[0]"},
        {R"(["*.lan"])", "control.hosts[0]"},
        {R"(["-x.lan"])", "control.hosts[0]"},
        {R"("one.lan")", "control.hosts"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.hosts);
        Problems p("room.json");
        load(r.hosts, p);
        CHECK(p.error_count() == 1);
        CHECK(p.to_string().find(r.path) != std::string::npos);
    }
}
