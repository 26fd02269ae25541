// The room's own small certificate authority for tablets on the clinic network (OpenSSL 3,
// wrapped once here; cpp-httplib serves the result). `stillroom tls init` makes a CA and a
// server certificate for the room's names; `tls renew` issues a fresh server certificate from
// the same CA (the tablets keep trusting it); the room reads the expiry to warn the clinic.
//
// What tablets require, and what is made: iOS/iPadOS (Apple's "Requirements for trusted
// certificates in iOS 13 and macOS 10.15", HT210176) and Android/Chrome want the names in
// subjectAltName (not the CN), extendedKeyUsage serverAuth, SHA-256 signatures, a key of
// at least RSA 2048 or ECDSA, and at most 825 days of validity: ECDSA P-256 keys, a CA of
// 10 years (basicConstraints CA:TRUE, pathlen 0, keyCertSign), server certificates of
// 397 days.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

inline constexpr int kCaDays = 3650;
inline constexpr int kServerDays = 397;
inline constexpr int kWarnDaysBeforeExpiry = 30;

// Why `name` cannot be a certificate name ("" if it can): an IPv4/IPv6 literal or a DNS
// name (letters, digits, '-', dots; labels of 1-63, at most 253 in all; no wildcard).
std::string certificate_name_problem(const std::string& name);

struct CertificateInfo {
    std::vector<std::string> names; // subjectAltName DNS and IP entries, in order
    std::int64_t not_after_unix = 0;
    std::string subject_cn;
};

// "2027-01-31T12:00:00Z".
std::string iso8601_utc(std::int64_t unix_s);

// Reads a PEM certificate. nullopt with *error (naming the file) on failure.
std::optional<CertificateInfo> read_certificate(const std::filesystem::path& pem,
                                                std::string* error);

struct TlsFiles {
    std::filesystem::path dir;
    std::filesystem::path ca() const { return dir / "ca.pem"; }
    std::filesystem::path ca_key() const { return dir / "ca-key.pem"; }
    std::filesystem::path cert() const { return dir / "cert.pem"; }
    std::filesystem::path key() const { return dir / "key.pem"; }
};

// Makes DIR/ca.pem, ca-key.pem, cert.pem, key.pem (keys 0600, written to a temporary file and
// renamed). Refuses when DIR/ca.pem or ca-key.pem exists (use renew). `now_unix` is the wall
// clock (the caller's DeviceClock). False with *error.
bool tls_init(const TlsFiles& files, const std::vector<std::string>& hosts, std::int64_t now_unix,
              std::string* error);

// A new key and certificate (DIR/key.pem, DIR/cert.pem) from DIR's CA, for `hosts` or, when
// empty, the names of the current cert.pem. False with *error.
bool tls_renew(const TlsFiles& files, std::vector<std::string> hosts, std::int64_t now_unix,
               std::string* error);

} // namespace stillroom
