// PIN login for the tablet: Argon2id PIN hashes (libsodium), random 128-bit bearer tokens
// with an expiry, checked against the users in force at every request, roles, device
// cookies, and the throttle that slows and then refuses repeated wrong PINs.
#pragma once

#include "control/device_cookies.hpp"
#include "control/pin_throttle.hpp"
#include "engine/clock.hpp"
#include "library/room_config.hpp"

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

enum class Role { Therapist, Curator, Clinic };
const char* to_string(Role r);
std::optional<Role> role_from_string(const std::string& s);
// Clinic may do everything; otherwise a role may do what it is.
bool role_allows(Role have, Role need);

// "$argon2id$..." for a PIN; throws std::runtime_error if libsodium cannot start.
std::string hash_pin(const std::string& pin);
bool verify_pin(const std::string& pin, const std::string& hash);
// A PIN is 4 to 12 digits.
bool is_valid_pin(const std::string& pin);

// A random 128-bit secret as 32 hex digits (tokens, tickets, device cookies), and the digest
// the room keeps of one (64 hex digits; the secret itself is never stored).
std::string random_secret();
std::string secret_digest(const std::string& secret);

// Checks a PIN against a user's pin_hash. The room's is verify_pin (Argon2id, slow on purpose);
// tests count the checks with their own. Runs on: a login worker. Thread-safe.
class PinVerifier {
public:
    virtual ~PinVerifier() = default;
    virtual bool verify(const std::string& pin, const std::string& pin_hash) = 0;
};

struct AuthSession {
    std::string user;
    Role role = Role::Therapist;
    DeviceTime expires{};
};

class Auth {
public:
    static constexpr Ms kTokenLifetime = std::chrono::hours{12};

    // With `store` (STATE/tokens.json), logins survive a restart of the room (a crash
    // mid-session must not lock the therapist out): token digests (never the tokens), their
    // user, role, a fingerprint of the user's PIN hash and expiries are kept there; beside it
    // throttle.json (PinThrottle) and devices.json (DeviceCookies).
    // `throttle_writer` replaces throttle.json's file write (tests); `verifier` the PIN check
    // (tests; null: verify_pin).
    Auth(std::vector<UserConfig> users, DeviceClock& clock, std::filesystem::path store = {},
         PinThrottle::Writer throttle_writer = nullptr, PinVerifier* verifier = nullptr);

    enum class LoginStatus { Ok, WrongPin, Throttled };
    struct LoginResult {
        LoginStatus status = LoginStatus::WrongPin;
        std::string token;
        Role role = Role::Therapist;
        Ms retry_after{0};
        std::string device;  // Ok: the device secret the tablet keeps for its next login
        std::string message; // Throttled: why, in words
    };
    // `client` identifies the caller (its IP address); `device` is the secret an earlier
    // login on this device returned (or empty). A known device's failures count against its
    // user's devices; an unknown device's against its address and the budget all unknown
    // devices share (PinThrottle). Each attempt counts as a failure before its PIN is checked
    // (parallel guesses cannot outrun the throttle); a success takes back only its own count.
    // A PIN shorter than the room's minimum is refused without a check. Thread-safe.
    LoginResult login(const std::string& pin, const std::string& client,
                      const std::string& device = "");
    // Throttle steps, for tests and the docs (PinThrottle has the rest).
    static constexpr int kFreeAttempts = PinThrottle::kFreeAttempts;
    static constexpr int kLockoutAttempts = PinThrottle::kLockoutAttempts;
    static constexpr Ms kLockout = PinThrottle::kLockout;
    // The session for a bearer token, if valid, not expired, and its user is still in force
    // with the same role and PIN (a removed, re-roled or re-PINned user's tokens end at
    // once, also those kept across a restart). Takes only the token lock: never waits on a
    // login's PIN hashing or a file write. Thread-safe.
    std::optional<AuthSession> check(const std::string& token);
    // Whether `device` is a device cookie the room knows, for a user still in force.
    bool device_known(const std::string& device);
    void logout(const std::string& token);
    void set_users(std::vector<UserConfig> users);
    // control.min_pin_digits (4 to 12): shorter PINs are refused at login.
    void set_min_pin_digits(int digits);
    int min_pin_digits() const;
    PinThrottle& throttle() { return throttle_; }

    // Preview tickets (docs/security.md): an <audio> element cannot send a header, so a
    // curator's preview URL carries a ticket instead of the token. A ticket names one
    // library-relative file, lives kPreviewTicketLifetime and ends with the login that asked
    // for it; it is good only on that file's audio URL. At most kMaxPreviewTickets live at
    // once (the oldest goes first). Thread-safe.
    static constexpr Ms kPreviewTicketLifetime = std::chrono::seconds{60};
    static constexpr std::size_t kMaxPreviewTickets = 64;
    std::string issue_preview_ticket(const std::string& token, const std::string& file);
    bool check_preview_ticket(const std::string& ticket, const std::string& file);

private:
    struct Token {
        AuthSession session;
        std::string pin; // fingerprint of the user's PIN hash when the token was issued
    };
    struct UserInForce {
        Role role = Role::Therapist;
        std::string pin; // fingerprint of the PIN hash
    };
    bool in_force_locked(const Token& t) const;
    void save_tokens();
    void load();
    mutable std::mutex mutex_; // tokens, users and tickets; never held while hashing or writing
    std::vector<UserConfig> users_;
    std::map<std::string, UserInForce> in_force_;
    int min_pin_digits_ = 4;
    DeviceClock& clock_;
    PinVerifier* verifier_;
    std::filesystem::path store_;
    std::mutex store_mutex_;              // one tokens.json write at a time, in order
    std::map<std::string, Token> tokens_; // keyed by the token's digest
    PinThrottle throttle_;
    DeviceCookies devices_;
    struct PreviewTicket {
        std::string file;
        std::string token_digest; // the login it belongs to
        DeviceTime expires{};
    };
    std::map<std::string, PreviewTicket> tickets_; // keyed by the ticket's digest
};

} // namespace stillroom
