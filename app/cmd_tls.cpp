// stillroom tls init|renew: the room's own CA and server certificate for tablets on the
// clinic network (control/tls_certs.hpp), and how to use them.
#include "app/commands.hpp"
#include "control/tls_certs.hpp"
#include "engine/clock.hpp"

#include <iostream>

namespace stillroom::app {

namespace {

std::string date_of(std::int64_t unix_s) {
    return iso8601_utc(unix_s).substr(0, 10);
}

std::string json_list(const std::vector<std::string>& names) {
    std::string out = "[";
    for (std::size_t i = 0; i < names.size(); ++i)
        out += (i ? ", \"" : "\"") + names[i] + "\"";
    return out + "]";
}

void explain(const TlsFiles& files, const CertificateInfo& cert, bool init) {
    std::cout << "stillroom tls: " << files.cert().string() << " and " << files.key().string()
              << " for " << json_list(cert.names) << ", valid until "
              << date_of(cert.not_after_unix) << " (renew with: stillroom tls renew --dir "
              << files.dir.string() << ")\n";
    if (init)
        std::cout << "stillroom tls: the CA is " << files.ca().string() << " (install it on the "
                  << "tablets); " << files.ca_key().string()
                  << " signs certificates the tablets will trust: keep it on this machine only\n";
    std::cout << "\nIn room.json (the room answers to these names, besides IP addresses and "
                 "localhost):\n"
              << "  \"control\": {\n"
              << "    \"listen\": \"0.0.0.0:8443\",\n"
              << "    \"hosts\": " << json_list(cert.names) << ",\n"
              << "    \"tls\": {\"cert\": \"" << files.cert().string() << "\", \"key\": \""
              << files.key().string() << "\"}\n"
              << "  }\n";
    if (!init) {
        std::cout << "\nRestart the room to use the new certificate (systemctl restart "
                     "stillroom@ROOM); the tablets keep trusting the same CA.\n";
        return;
    }
    std::cout
        << "\nTrust the CA on each tablet, once (ca.pem holds no secret):\n"
        << "  iPad: send ca.pem to the iPad (AirDrop or mail) and open it; Settings > General >\n"
        << "        VPN & Device Management > the \"Stillroom CA\" profile > Install; then\n"
        << "        Settings > General > About > Certificate Trust Settings > turn on full trust\n"
        << "        for \"Stillroom CA\".\n"
        << "  Android: copy ca.pem to the tablet; Settings > Security > More security settings >\n"
        << "        Encryption & credentials > Install a certificate > CA certificate > ca.pem.\n"
        << "        (Menu names vary by maker; search Settings for \"CA certificate\".)\n"
        << "Then open https://" << cert.names.front()
        << ":8443/ on the tablet: no warning means it is trusted.\n";
}

} // namespace

int cmd_tls(const cli::Args& args) {
    const std::string action = args.positional.at(0);
    if (action != "init" && action != "renew") {
        std::cerr << "stillroom tls: expected init or renew, got \"" << action << "\"\n";
        return cli::kUsage;
    }
    const TlsFiles files{args.get("--dir")};
    SteadyDeviceClock clock; // the wall clock: validity starts now
    const std::int64_t now = clock.wall_unix_ms() / 1000;
    std::string error;
    const bool ok = action == "init" ? tls_init(files, args.values("--host"), now, &error)
                                     : tls_renew(files, args.values("--host"), now, &error);
    if (!ok) {
        std::cerr << "stillroom tls " << action << ": " << error << "\n";
        return cli::kBadInput;
    }
    auto cert = read_certificate(files.cert(), &error);
    if (!cert) {
        std::cerr << "stillroom tls " << action << ": " << error << "\n";
        return cli::kBadInput;
    }
    explain(files, *cert, action == "init");
    return cli::kOk;
}

} // namespace stillroom::app
