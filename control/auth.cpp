// Authentication.
#include "control/auth.hpp"

#include <sodium.h>

#include <fstream>
#include <stdexcept>

#include "engine/json_reader.hpp"

namespace stillroom {

namespace {

void sodium_ready() {
    static const bool ok = sodium_init() >= 0;
    if (!ok) throw std::runtime_error("libsodium cannot start");
}

constexpr int kFreeAttempts = 3;           // then each attempt waits longer
constexpr int kLockoutAttempts = 10;       // then refused for a while
constexpr Ms kLockout = std::chrono::minutes{15};
constexpr Ms kForget = std::chrono::minutes{30}; // failures this old are forgotten

} // namespace

const char* to_string(Role r) {
    switch (r) {
    case Role::Therapist: return "therapist";
    case Role::Curator: return "curator";
    case Role::Clinic: return "clinic";
    }
    return "therapist";
}

std::optional<Role> role_from_string(const std::string& s) {
    if (s == "therapist") return Role::Therapist;
    if (s == "curator") return Role::Curator;
    if (s == "clinic") return Role::Clinic;
    return std::nullopt;
}

bool role_allows(Role have, Role need) { return have == Role::Clinic || have == need; }

bool is_valid_pin(const std::string& pin) {
    if (pin.size() < 4 || pin.size() > 12) return false;
    for (char c : pin)
        if (c < '0' || c > '9') return false;
    return true;
}

std::string hash_pin(const std::string& pin) {
    sodium_ready();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, pin.data(), pin.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        throw std::runtime_error("out of memory while hashing");
    return out;
}

bool verify_pin(const std::string& pin, const std::string& hash) {
    sodium_ready();
    if (hash.size() >= crypto_pwhash_STRBYTES) return false;
    return crypto_pwhash_str_verify(hash.c_str(), pin.data(), pin.size()) == 0;
}

namespace {

std::string digest(const std::string& token) {
    unsigned char out[32];
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr, 0);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, out, sizeof out);
    return hex;
}

} // namespace

Auth::Auth(std::vector<UserConfig> users, Clock& clock, std::filesystem::path store)
    : users_(std::move(users)), clock_(clock), store_(std::move(store)) {
    sodium_ready();
    load();
}

void Auth::load() {
    if (store_.empty()) return;
    std::ifstream in(store_);
    Json j = Json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return;
    const MonoTime now = clock_.now();
    const std::int64_t wall = clock_.wall_unix_ms();
    for (const auto& [key, v] : j.items()) {
        if (!v.is_object()) continue;
        auto r = role_from_string(v.value("role", ""));
        const std::int64_t expires = v.value("expires_unix_ms", std::int64_t{0});
        if (!r || expires <= wall) continue;
        tokens_[key] = {v.value("user", ""), *r, now + Ms{expires - wall}};
    }
}

void Auth::save_locked() {
    if (store_.empty()) return;
    Json j = Json::object();
    const MonoTime now = clock_.now();
    const std::int64_t wall = clock_.wall_unix_ms();
    for (const auto& [key, s] : tokens_)
        j[key] = {{"user", s.user}, {"role", to_string(s.role)}, {"expires_unix_ms", wall + (s.expires - now).count()}};
    std::error_code ec;
    std::filesystem::create_directories(store_.parent_path(), ec);
    const auto tmp = store_.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << dump_json(j) << "\n";
    }
    std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace, ec);
    std::filesystem::rename(tmp, store_, ec);
}

void Auth::set_users(std::vector<UserConfig> users) {
    std::lock_guard lock(mutex_);
    users_ = std::move(users);
}

Auth::LoginResult Auth::login(const std::string& pin, const std::string& client) {
    const MonoTime now = clock_.now();
    std::vector<UserConfig> users;
    {
        std::lock_guard lock(mutex_);
        Attempts& a = attempts_[client];
        if (a.failures > 0 && now - a.last > kForget) a = Attempts{};
        if (now < a.blocked_until) return {LoginStatus::Throttled, "", Role::Therapist, a.blocked_until - now};
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
    if (!role) {
        ++a.failures;
        a.last = now;
        if (a.failures >= kLockoutAttempts) {
            a.blocked_until = now + kLockout;
        } else if (a.failures >= kFreeAttempts) {
            a.blocked_until = now + Ms{1000LL << std::min(a.failures - kFreeAttempts, 6)}; // 1 s, 2 s, 4 s ...
        }
        return {LoginStatus::WrongPin, "", Role::Therapist, a.blocked_until > now ? a.blocked_until - now : Ms{0}};
    }
    attempts_.erase(client);
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

} // namespace stillroom
