// PIN login for the tablet: Argon2id PIN hashes (libsodium), random 128-bit bearer tokens
// with an expiry, roles, and a throttle that slows and then refuses repeated wrong PINs.
#pragma once

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

struct AuthSession {
    std::string user;
    Role role = Role::Therapist;
    DeviceTime expires{};
};

class Auth {
public:
    static constexpr Ms kTokenLifetime = std::chrono::hours{12};

    // With `store`, logins survive a restart of the room (a crash mid-session must not lock
    // the therapist out): token digests (never the tokens) and expiries are kept there.
    Auth(std::vector<UserConfig> users, DeviceClock& clock, std::filesystem::path store = {});

    enum class LoginStatus { Ok, WrongPin, Throttled };
    struct LoginResult {
        LoginStatus status = LoginStatus::WrongPin;
        std::string token;
        Role role = Role::Therapist;
        Ms retry_after{0};
    };
    // `client` identifies the caller for throttling (its IP address). Each attempt counts as
    // a failure before its PIN is checked (parallel guesses cannot outrun the throttle); a
    // success takes back only its own count, never another attempt's. Thread-safe.
    LoginResult login(const std::string& pin, const std::string& client);
    // Throttle steps, for tests and the docs: free attempts, then waits of 1 s, 2 s, 4 s ...
    static constexpr int kFreeAttempts = 3;
    static constexpr int kLockoutAttempts = 10; // then the address is refused for kLockout
    static constexpr Ms kLockout = std::chrono::minutes{15};
    static constexpr Ms kForget = std::chrono::minutes{30}; // failures this old are forgotten
    // The session for a bearer token, if valid and not expired. Thread-safe.
    std::optional<AuthSession> check(const std::string& token);
    void logout(const std::string& token);
    void set_users(std::vector<UserConfig> users);

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
    struct Attempts {
        int failures = 0;
        DeviceTime last{};
        DeviceTime blocked_until{};
    };
    std::mutex mutex_;
    std::vector<UserConfig> users_;
    DeviceClock& clock_;
    void save_locked();
    void save_attempts_locked();
    void load();
    std::filesystem::path attempts_path() const;
    std::filesystem::path store_;
    std::map<std::string, AuthSession> tokens_; // keyed by the token's digest
    std::map<std::string, Attempts> attempts_;
    struct PreviewTicket {
        std::string file;
        std::string token_digest; // the login it belongs to
        DeviceTime expires{};
    };
    std::map<std::string, PreviewTicket> tickets_; // keyed by the ticket's digest
};

} // namespace stillroom
