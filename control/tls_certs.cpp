// OpenSSL 3, wrapped once for the room's certificates.
#include "control/tls_certs.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <memory>

namespace stillroom {

namespace fs = std::filesystem;

namespace {

struct Free {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    void operator()(X509* p) const { X509_free(p); }
    void operator()(BIO* p) const { BIO_free(p); }
    void operator()(BIGNUM* p) const { BN_free(p); }
    void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
    void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
template <class T> using Owned = std::unique_ptr<T, Free>;

bool is_ip(const std::string& name) {
    in_addr a4{};
    in6_addr a6{};
    return inet_pton(AF_INET, name.c_str(), &a4) == 1 ||
           inet_pton(AF_INET6, name.c_str(), &a6) == 1;
}

Owned<EVP_PKEY> new_key() {
    return Owned<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

bool add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
    Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
    return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// A certificate for `key`, signed by `issuer_key` (issuer: null = self-signed).
Owned<X509> make_certificate(EVP_PKEY* key, const std::string& cn, X509* issuer,
                             EVP_PKEY* issuer_key, int days, std::int64_t now_unix, bool ca,
                             const std::vector<std::string>& names) {
    Owned<X509> cert(X509_new());
    if (!cert || X509_set_version(cert.get(), 2) != 1) return nullptr;
    // A random 127-bit positive serial (RFC 5280: unique per CA, at most 20 octets).
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) return nullptr;
    serial[0] &= 0x7f;
    Owned<BIGNUM> bn(BN_bin2bn(serial, sizeof serial, nullptr));
    if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) return nullptr;
    const auto now = static_cast<time_t>(now_unix);
    if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()), now - 3600) || // clocks a little behind
        !ASN1_TIME_set(X509_getm_notAfter(cert.get()), now + static_cast<time_t>(days) * 86400))
        return nullptr;
    X509_NAME* subject = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("Stillroom"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    if (X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject) != 1 ||
        X509_set_pubkey(cert.get(), key) != 1)
        return nullptr;
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
    bool ok = add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    if (ca) {
        ok = ok &&
             add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
             add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        std::string san;
        for (const auto& n : names)
            san += (san.empty() ? "" : ",") + std::string(is_ip(n) ? "IP:" : "DNS:") + n;
        ok = ok && add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
             add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature") &&
             add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth") &&
             add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always") &&
             add_extension(cert.get(), &ctx, NID_subject_alt_name, san);
    }
    if (!ok || X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
        return nullptr;
    return cert;
}

// Writes `pem` text to `path` atomically (a temporary file, then rename), with `mode`.
bool write_pem(const fs::path& path, const std::string& pem, mode_t mode, std::string* error) {
    const fs::path tmp = path.string() + ".tmp";
    ::unlink(tmp.c_str());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    bool ok = fd >= 0 && ::fchmod(fd, mode) == 0 &&
              ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) &&
              ::fsync(fd) == 0;
    if (fd >= 0) ok = (::close(fd) == 0) && ok;
    ok = ok && ::rename(tmp.c_str(), path.c_str()) == 0;
    if (!ok) {
        ::unlink(tmp.c_str());
        if (error) *error = "cannot write " + path.string();
    }
    return ok;
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string cert_pem(X509* cert) {
    Owned<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
    return bio_text(bio.get());
}

std::string key_pem(EVP_PKEY* key) {
    Owned<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return {};
    return bio_text(bio.get());
}

Owned<BIO> open_file_bio(const fs::path& path, std::string* error) {
    Owned<BIO> bio(BIO_new_file(path.c_str(), "r"));
    if (!bio && error) *error = "cannot read " + path.string();
    return bio;
}

bool issue_server(const TlsFiles& files, X509* ca, EVP_PKEY* ca_key,
                  const std::vector<std::string>& hosts, std::int64_t now_unix,
                  std::string* error) {
    Owned<EVP_PKEY> key = new_key();
    if (!key) {
        if (error) *error = "cannot make a key";
        return false;
    }
    Owned<X509> cert =
        make_certificate(key.get(), hosts.front(), ca, ca_key, kServerDays, now_unix, false, hosts);
    if (!cert) {
        if (error) *error = "cannot make the server certificate";
        return false;
    }
    return write_pem(files.key(), key_pem(key.get()), 0600, error) &&
           write_pem(files.cert(), cert_pem(cert.get()), 0644, error);
}

bool check_hosts(const std::vector<std::string>& hosts, std::string* error) {
    if (hosts.empty()) {
        if (error) *error = "give at least one --host NAME (the names tablets use for the room)";
        return false;
    }
    for (const auto& h : hosts)
        if (auto why = certificate_name_problem(h); !why.empty()) {
            if (error) *error = "--host " + h + ": " + why;
            return false;
        }
    return true;
}

} // namespace

std::string certificate_name_problem(const std::string& name) {
    if (is_ip(name)) return "";
    if (name.empty()) return "empty";
    if (name.size() > 253) return "longer than 253 characters";
    if (name.find('*') != std::string::npos) return "wildcards are not made here: name each host";
    std::size_t label = 0;
    for (std::size_t i = 0; i <= name.size(); ++i) {
        if (i == name.size() || name[i] == '.') {
            if (label == 0 || label > 63)
                return "each dot-separated part must be 1 to 63 characters";
            if (name[i - 1] == '-') return "a part may not end with '-'";
            label = 0;
            continue;
        }
        const auto c = static_cast<unsigned char>(name[i]);
        if (!std::isalnum(c) && c != '-') return "only letters, digits, '-' and dots";
        if (label == 0 && c == '-') return "a part may not start with '-'";
        ++label;
    }
    return "";
}

std::string iso8601_utc(std::int64_t unix_s) {
    const auto t = static_cast<time_t>(unix_s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::optional<CertificateInfo> read_certificate(const fs::path& pem, std::string* error) {
    Owned<BIO> bio = open_file_bio(pem, error);
    if (!bio) return std::nullopt;
    Owned<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        if (error) *error = pem.string() + ": not a PEM certificate";
        return std::nullopt;
    }
    CertificateInfo info;
    std::tm tm{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) {
        if (error) *error = pem.string() + ": unreadable expiry";
        return std::nullopt;
    }
    info.not_after_unix = static_cast<std::int64_t>(timegm(&tm));
    char cn[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn,
                                  sizeof cn) > 0)
        info.subject_cn = cn;
    Owned<GENERAL_NAMES> sans(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans.get(), i);
        if (g->type == GEN_DNS) {
            const auto* s = g->d.dNSName;
            info.names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                    static_cast<std::size_t>(ASN1_STRING_length(s)));
        } else if (g->type == GEN_IPADD) {
            const auto* s = g->d.iPAddress;
            char text[INET6_ADDRSTRLEN] = {};
            const int len = ASN1_STRING_length(s);
            if (len == 4 || len == 16)
                if (inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), text,
                              sizeof text))
                    info.names.emplace_back(text);
        }
    }
    return info;
}

bool tls_init(const TlsFiles& files, const std::vector<std::string>& hosts, std::int64_t now_unix,
              std::string* error) {
    if (!check_hosts(hosts, error)) return false;
    std::error_code ec;
    if (fs::exists(files.ca(), ec) || fs::exists(files.ca_key(), ec)) {
        if (error)
            *error = files.ca().string() +
                     " exists: the tablets trust that CA already; use stillroom tls renew";
        return false;
    }
    fs::create_directories(files.dir, ec);
    if (ec) {
        if (error) *error = "cannot create " + files.dir.string() + ": " + ec.message();
        return false;
    }
    Owned<EVP_PKEY> ca_key = new_key();
    if (!ca_key) {
        if (error) *error = "cannot make a key";
        return false;
    }
    Owned<X509> ca = make_certificate(ca_key.get(), "Stillroom CA " + hosts.front(), nullptr,
                                      nullptr, kCaDays, now_unix, true, {});
    if (!ca) {
        if (error) *error = "cannot make the CA certificate";
        return false;
    }
    return write_pem(files.ca_key(), key_pem(ca_key.get()), 0600, error) &&
           write_pem(files.ca(), cert_pem(ca.get()), 0644, error) &&
           issue_server(files, ca.get(), ca_key.get(), hosts, now_unix, error);
}

bool tls_renew(const TlsFiles& files, std::vector<std::string> hosts, std::int64_t now_unix,
               std::string* error) {
    if (hosts.empty()) {
        auto current = read_certificate(files.cert(), error);
        if (!current) return false;
        hosts = current->names;
    }
    if (!check_hosts(hosts, error)) return false;
    Owned<BIO> ca_bio = open_file_bio(files.ca(), error);
    Owned<BIO> key_bio = ca_bio ? open_file_bio(files.ca_key(), error) : nullptr;
    if (!key_bio) return false;
    Owned<X509> ca(PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr));
    Owned<EVP_PKEY> ca_key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    if (!ca || !ca_key || X509_check_private_key(ca.get(), ca_key.get()) != 1) {
        if (error)
            *error = files.ca().string() + " and " + files.ca_key().string() +
                     " are not a CA certificate and its key";
        return false;
    }
    std::tm tm{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(ca.get()), &tm) == 1 &&
        static_cast<std::int64_t>(timegm(&tm)) < now_unix + std::int64_t{kServerDays} * 86400) {
        if (error)
            *error = "the CA in " + files.ca().string() +
                     " expires before a new certificate would: make a new one (tls init in an "
                     "empty folder) and trust it on the tablets";
        return false;
    }
    return issue_server(files, ca.get(), ca_key.get(), hosts, now_unix, error);
}

} // namespace stillroom
