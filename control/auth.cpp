// Authentication.
#include "control/auth.hpp"

#include <sodium.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <semaphore>
#include <sstream>
#include <stdexcept>

#include "library/library_files.hpp"

#include "engine/json_reader.hpp"

namespace stillroom {

namespace {

void sodium_ready() {
    static const bool ok = sodium_init() >= 0;
    if (!ok) throw std::runtime_error("libsodium cannot start");
}

// Argon2id with interactive limits takes 64 MiB per hash: at most this many at once.
constexpr std::ptrdiff_t kConcurrentHashes = 2;
std::counting_semaphore<kConcurrentHashes> hashing{kConcurrentHashes};

struct HashSlot {
    HashSlot() { hashing.acquire(); }
    ~HashSlot() { hashing.release(); }
    HashSlot(const HashSlot&) = delete;
    HashSlot& operator=(const HashSlot&) = delete;
};

std::string read_whole(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

const char* to_string(Role r) {
    switch (r) {
    case Role::Therapist:
        return "therapist";
    case Role::Curator:
        return "curator";
    case Role::Clinic:
        return "clinic";
    }
    return "therapist";
}

std::optional<Role> role_from_string(const std::string& s) {
    if (s == "therapist") return Role::Therapist;
    if (s == "curator") return Role::Curator;
    if (s == "clinic") return Role::Clinic;
    return std::nullopt;
}

bool role_allows(Role have, Role need) {
    return have == Role::Clinic || have == need;
}

bool is_valid_pin(const std::string& pin) {
    if (pin.size() < 4 || pin.size() > 12) return false;
    for (char c : pin)
        if (c < '0' || c > '9') return false;
    return true;
}

std::string hash_pin(const std::string& pin) {
    sodium_ready();
    char out[crypto_pwhash_STRBYTES];
    HashSlot slot;
    if (crypto_pwhash_str(out, pin.data(), pin.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        throw std::runtime_error("out of memory while hashing");
    return out;
}

bool verify_pin(const std::string& pin, const std::string& hash) {
    sodium_ready();
    if (hash.size() >= crypto_pwhash_STRBYTES) return false;
    HashSlot slot;
    return crypto_pwhash_str_verify(hash.c_str(), pin.data(), pin.size()) == 0;
}

namespace {

std::string digest(const std::string& token) {
    unsigned char out[32];
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(token.data()),
                       token.size(), nullptr, 0);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, out, sizeof out);
    return hex;
}

} // namespace

Auth::Auth(std::vector<UserConfig> users, DeviceClock& clock, std::filesystem::path store)
    : users_(std::move(users)), clock_(clock), store_(std::move(store)) {
    sodium_ready();
    load();
}

void Auth::load() {
    if (store_.empty()) return;
    const DeviceTime now = clock_.now();
    const std::int64_t wall = clock_.wall_unix_ms();
    Json j = parse_json_or_discarded(read_whole(store_));
    if (j.is_object()) {
        for (const auto& [key, v] : j.items()) {
            if (!v.is_object()) continue;
            auto r = role_from_string(v.value("role", ""));
            const std::int64_t expires = v.value("expires_unix_ms", std::int64_t{0});
            if (!r || expires <= wall) continue;
            tokens_[key] = {v.value("user", ""), *r, now + Ms{expires - wall}};
        }
    }
    // Wrong-PIN counts and lockouts survive a restart: a restart must not clear a lockout.
    Json a = parse_json_or_discarded(read_whole(attempts_path()));
    if (!a.is_object()) return;
    for (const auto& [client, v] : a.items()) {
        if (!v.is_object()) continue;
        Attempts at;
        at.failures = std::clamp(v.value("failures", 0), 0, kLockoutAttempts);
        at.last =
            now - Ms{std::max<std::int64_t>(0, wall - v.value("last_unix_ms", std::int64_t{0}))};
        const std::int64_t blocked = v.value("blocked_until_unix_ms", std::int64_t{0});
        at.blocked_until = blocked > wall
                               ? now + Ms{std::min<std::int64_t>(blocked - wall, kLockout.count())}
                               : DeviceTime{};
        if (at.failures > 0 && now - at.last <= kForget) attempts_[client] = at;
    }
}

std::filesystem::path Auth::attempts_path() const {
    return store_.empty() ? std::filesystem::path{} : store_.parent_path() / "throttle.json";
}

void Auth::save_attempts_locked() {
    if (store_.empty()) return;
    Json j = Json::object();
    const DeviceTime now = clock_.now();
    const std::int64_t wall = clock_.wall_unix_ms();
    for (const auto& [client, a] : attempts_) {
        if (a.failures <= 0) continue;
        j[client] = {{"failures", a.failures},
                     {"last_unix_ms", wall - (now - a.last).count()},
                     {"blocked_until_unix_ms",
                      a.blocked_until > now ? wall + (a.blocked_until - now).count() : 0}};
    }
    std::error_code ec;
    std::filesystem::create_directories(store_.parent_path(), ec);
    std::string error;
    if (!write_file_atomically(attempts_path(), dump_json(j) + "\n", &error, 0600))
        std::cerr << "stillroom: auth: " << error << " (the PIN throttle is kept in memory)"
                  << std::endl;
}

void Auth::save_locked() {
    if (store_.empty()) return;
    Json j = Json::object();
    const DeviceTime now = clock_.now();
    const std::int64_t wall = clock_.wall_unix_ms();
    for (const auto& [key, s] : tokens_)
        j[key] = {{"user", s.user},
                  {"role", to_string(s.role)},
                  {"expires_unix_ms", wall + (s.expires - now).count()}};
    std::error_code ec;
    std::filesystem::create_directories(store_.parent_path(), ec);
    // Temp file, fsync, rename: a full disk leaves the old file whole, never a truncated one.
    std::string error;
    if (!write_file_atomically(store_, dump_json(j) + "\n", &error, 0600))
        std::cerr << "stillroom: auth: " << error << " (logins are kept in memory)" << std::endl;
}

void Auth::set_users(std::vector<UserConfig> users) {
    std::lock_guard lock(mutex_);
    users_ = std::move(users);
}

Auth::LoginResult Auth::login(const std::string& pin, const std::string& client) {
    const DeviceTime now = clock_.now();
    std::vector<UserConfig> users;
    Attempts before;
    {
        std::lock_guard lock(mutex_);
        Attempts& a = attempts_[client];
        if (a.failures > 0 && now - a.last > kForget && now >= a.blocked_until) a = Attempts{};
        if (now < a.blocked_until)
            return {LoginStatus::Throttled, "", Role::Therapist, a.blocked_until - now};
        // Count this attempt as failed before checking it, so parallel guesses see the
        // block at once; a success below takes back only this attempt's count.
        before = a;
        ++a.failures;
        a.last = now;
        if (a.failures >= kLockoutAttempts) {
            a.blocked_until = now + kLockout;
        } else if (a.failures >= kFreeAttempts) {
            a.blocked_until =
                now + Ms{1000LL << std::min(a.failures - kFreeAttempts, 6)}; // 1 s, 2 s, 4 s ...
        }
        save_attempts_locked();
        users = users_;
    }
    // Hashing is slow on purpose; do it outside the lock.
    std::optional<Role> role;
    std::string user;
    if (is_valid_pin(pin)) {
        for (const auto& u : users) {
            if (verify_pin(pin, u.pin_hash)) {
                role = role_from_string(u.role);
                user = u.name;
                break;
            }
        }
    }
    std::lock_guard lock(mutex_);
    Attempts& a = attempts_[client];
    if (!role)
        return {LoginStatus::WrongPin, "", Role::Therapist,
                a.blocked_until > now ? a.blocked_until - now : Ms{0}};
    // Take back this attempt's count only: earlier failures stay (one correct PIN must not
    // reset the count another PIN is being guessed under).
    a.failures = std::max(0, a.failures - 1);
    if (a.failures == before.failures) a.blocked_until = before.blocked_until;
    if (a.failures == 0) attempts_.erase(client);
    save_attempts_locked();
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    // Forget expired tokens while we are here.
    std::erase_if(tokens_, [&](const auto& kv) { return kv.second.expires <= now; });
    tokens_[digest(hex)] = {user, *role, now + kTokenLifetime};
    save_locked();
    return {LoginStatus::Ok, hex, *role, Ms{0}};
}

std::optional<AuthSession> Auth::check(const std::string& token) {
    if (token.size() != 32) return std::nullopt;
    std::lock_guard lock(mutex_);
    auto it = tokens_.find(digest(token));
    if (it == tokens_.end()) return std::nullopt;
    if (it->second.expires <= clock_.now()) {
        tokens_.erase(it);
        return std::nullopt;
    }
    return it->second;
}

void Auth::logout(const std::string& token) {
    std::lock_guard lock(mutex_);
    tokens_.erase(digest(token));
    save_locked();
}

std::string Auth::issue_preview_ticket(const std::string& token, const std::string& file) {
    if (!check(token)) return "";
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    std::lock_guard lock(mutex_);
    const DeviceTime now = clock_.now();
    std::erase_if(tickets_, [&](const auto& kv) { return kv.second.expires <= now; });
    while (tickets_.size() >= kMaxPreviewTickets) {
        auto oldest =
            std::min_element(tickets_.begin(), tickets_.end(), [](const auto& a, const auto& b) {
                return a.second.expires < b.second.expires;
            });
        tickets_.erase(oldest);
    }
    tickets_[digest(hex)] = {file, digest(token), now + kPreviewTicketLifetime};
    return hex;
}

bool Auth::check_preview_ticket(const std::string& ticket, const std::string& file) {
    if (ticket.size() != 32) return false;
    std::lock_guard lock(mutex_);
    const DeviceTime now = clock_.now();
    auto it = tickets_.find(digest(ticket));
    if (it == tickets_.end()) return false;
    if (it->second.expires <= now) {
        tickets_.erase(it);
        return false;
    }
    // The login that asked for it must still be valid (logout ends its tickets too).
    auto login = tokens_.find(it->second.token_digest);
    if (login == tokens_.end() || login->second.expires <= now) return false;
    return it->second.file == file;
}

} // namespace stillroom
