// Authentication.
#include "control/auth.hpp"

#include <sodium.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <semaphore>
#include <set>
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

std::string random_secret() {
    sodium_ready();
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    return hex;
}

std::string secret_digest(const std::string& secret) {
    sodium_ready();
    unsigned char out[32];
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(secret.data()),
                       secret.size(), nullptr, 0);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, out, sizeof out);
    return hex;
}

namespace {

std::string digest(const std::string& token) {
    return secret_digest(token);
}

// A token remembers which PIN hash its user had: a new PIN (even the same digits, which
// hash with a new salt) ends the old tokens.
std::string pin_fingerprint(const std::string& pin_hash) {
    return secret_digest(pin_hash).substr(0, 32);
}

// Unknown devices hash one PIN at a time, so the second of the two hashing slots is always
// free for a known device (the therapist's tablet) however many strangers try.
std::counting_semaphore<1> stranger_hashing{1};

struct StrangerSlot {
    explicit StrangerSlot(bool take) : taken(take) {
        if (taken) stranger_hashing.acquire();
    }
    ~StrangerSlot() {
        if (taken) stranger_hashing.release();
    }
    StrangerSlot(const StrangerSlot&) = delete;
    StrangerSlot& operator=(const StrangerSlot&) = delete;
    bool taken;
};

class Argon2Verifier final : public PinVerifier {
public:
    bool verify(const std::string& pin, const std::string& pin_hash) override {
        return verify_pin(pin, pin_hash);
    }
};

Argon2Verifier argon2_verifier;

} // namespace

Auth::Auth(std::vector<UserConfig> users, DeviceClock& clock, std::filesystem::path store,
           PinThrottle::Writer throttle_writer, PinVerifier* verifier)
    : clock_(clock), verifier_(verifier ? verifier : &argon2_verifier), store_(std::move(store)),
      throttle_(clock,
                store_.empty() ? std::filesystem::path{} : store_.parent_path() / "throttle.json",
                std::move(throttle_writer)),
      devices_(clock,
               store_.empty() ? std::filesystem::path{} : store_.parent_path() / "devices.json") {
    sodium_ready();
    load();
    set_users(std::move(users)); // kept tokens of users changed while the room was down end
}

void Auth::load() {
    if (store_.empty()) return;
    const DeviceTime now = clock_.now();
    const std::int64_t wall = clock_.wall_unix_ms();
    Json j = parse_json_or_discarded(read_whole(store_));
    if (!j.is_object()) return;
    std::lock_guard lock(mutex_);
    for (const auto& [key, v] : j.items()) {
        if (!v.is_object()) continue;
        auto r = role_from_string(v.value("role", ""));
        const std::int64_t expires = v.value("expires_unix_ms", std::int64_t{0});
        // A token kept without its PIN fingerprint (an older room) cannot be checked against
        // the users in force: it is not taken back.
        const std::string pin = v.value("pin", "");
        if (!r || expires <= wall || pin.empty()) continue;
        tokens_[key] = {{v.value("user", ""), *r,
                         now + Ms{std::min<std::int64_t>(expires - wall, kTokenLifetime.count())}},
                        pin};
    }
}

void Auth::save_tokens() {
    if (store_.empty()) return;
    std::lock_guard write(store_mutex_); // snapshots reach the disk in order
    Json j = Json::object();
    {
        std::lock_guard lock(mutex_);
        const DeviceTime now = clock_.now();
        const std::int64_t wall = clock_.wall_unix_ms();
        for (const auto& [key, t] : tokens_)
            j[key] = {{"user", t.session.user},
                      {"role", to_string(t.session.role)},
                      {"pin", t.pin},
                      {"expires_unix_ms", wall + (t.session.expires - now).count()}};
    }
    std::error_code ec;
    std::filesystem::create_directories(store_.parent_path(), ec);
    // Temp file, fsync, rename: a full disk leaves the old file whole, never a truncated one.
    std::string error;
    if (!write_file_atomically(store_, dump_json(j) + "\n", &error, 0600))
        std::cerr << "stillroom: auth: " << error << " (logins are kept in memory)" << std::endl;
}

void Auth::set_users(std::vector<UserConfig> users) {
    std::set<std::string> names;
    {
        std::lock_guard lock(mutex_);
        users_ = std::move(users);
        in_force_.clear();
        for (const auto& u : users_) {
            auto role = role_from_string(u.role);
            if (!role || u.name.empty()) continue;
            in_force_[u.name] = {*role, pin_fingerprint(u.pin_hash)};
            names.insert(u.name);
        }
        // Tokens of users who are gone, re-roled or re-PINned end now (check() would refuse
        // them anyway; this keeps tokens.json honest).
        std::erase_if(tokens_, [&](const auto& kv) { return !in_force_locked(kv.second); });
    }
    devices_.keep_users(names);
    save_tokens();
}

void Auth::set_min_pin_digits(int digits) {
    std::lock_guard lock(mutex_);
    min_pin_digits_ = std::clamp(digits, 4, 12);
}

int Auth::min_pin_digits() const {
    std::lock_guard lock(mutex_);
    return min_pin_digits_;
}

bool Auth::in_force_locked(const Token& t) const {
    auto it = in_force_.find(t.session.user);
    return it != in_force_.end() && it->second.role == t.session.role && it->second.pin == t.pin;
}

bool Auth::device_known(const std::string& device) {
    return !device.empty() && devices_.user_of(device).has_value();
}

Auth::LoginResult Auth::login(const std::string& pin, const std::string& client,
                              const std::string& device) {
    const DeviceTime now = clock_.now();
    const std::optional<std::string> device_user =
        device.empty() ? std::nullopt : devices_.user_of(device);
    std::vector<UserConfig> users;
    int min_digits;
    {
        std::lock_guard lock(mutex_);
        users = users_;
        min_digits = min_pin_digits_;
    }
    // Not a PIN this room accepts: nothing to check, nothing learned, nothing counted.
    if (!is_valid_pin(pin) || static_cast<int>(pin.size()) < min_digits) return {};
    // A known device's failures count against its user's devices; an unknown one's against
    // its address and the budget every unknown device shares.
    const std::string key = device_user ? "user:" + *device_user : client;
    const PinThrottle::Ticket ticket = throttle_.begin(key, !device_user);
    if (!ticket.ok) {
        LoginResult r;
        r.status = LoginStatus::Throttled;
        r.retry_after = ticket.retry_after;
        r.message = ticket.refused_by == PinThrottle::Scope::UnknownDevices
                        ? "too many wrong PINs from devices this room does not know; wait, or "
                          "log in on a tablet that has logged in here before"
                        : "too many wrong PINs; wait and try again";
        return r;
    }
    // Hashing is slow on purpose; no lock is held. The device's own user is tried first.
    if (device_user)
        std::stable_partition(users.begin(), users.end(),
                              [&](const UserConfig& u) { return u.name == *device_user; });
    std::optional<Role> role;
    std::string user, pin_hash;
    {
        StrangerSlot slot(!device_user);
        for (const auto& u : users) {
            if (verifier_->verify(pin, u.pin_hash)) {
                role = role_from_string(u.role);
                user = u.name;
                pin_hash = u.pin_hash;
                break;
            }
        }
    }
    if (!role) {
        LoginResult r;
        r.retry_after = throttle_.wait_after_failure(key);
        return r;
    }
    throttle_.succeeded(key, ticket);
    const std::string token = random_secret();
    {
        std::lock_guard lock(mutex_);
        // Forget expired tokens while we are here.
        std::erase_if(tokens_, [&](const auto& kv) { return kv.second.session.expires <= now; });
        tokens_[digest(token)] = {{user, *role, now + kTokenLifetime}, pin_fingerprint(pin_hash)};
    }
    save_tokens();
    LoginResult r;
    r.status = LoginStatus::Ok;
    r.token = token;
    r.role = *role;
    r.device = devices_.issue(user, device);
    return r;
}

std::optional<AuthSession> Auth::check(const std::string& token) {
    if (token.size() != 32) return std::nullopt;
    const std::string key = digest(token);
    std::lock_guard lock(mutex_);
    auto it = tokens_.find(key);
    if (it == tokens_.end()) return std::nullopt;
    if (it->second.session.expires <= clock_.now() || !in_force_locked(it->second)) {
        tokens_.erase(it);
        return std::nullopt;
    }
    return it->second.session;
}

void Auth::logout(const std::string& token) {
    {
        std::lock_guard lock(mutex_);
        tokens_.erase(digest(token));
    }
    save_tokens();
}

std::string Auth::issue_preview_ticket(const std::string& token, const std::string& file) {
    if (!check(token)) return "";
    const std::string hex = random_secret();
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
    if (login == tokens_.end() || login->second.session.expires <= now ||
        !in_force_locked(login->second))
        return false;
    return it->second.file == file;
}

} // namespace stillroom
