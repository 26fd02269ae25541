// Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a
// successful login gives the tablet an opaque secret (`device`) that it keeps and sends with
// later logins. A device the room knows keeps its own wrong-PIN budget, so a sweep from
// unknown devices never locks the therapist's tablet out. A device belongs to the user who
// logged in on it and is forgotten when that user is removed; each success issues a new one
// (the presented one ends). The room keeps only digests, at most kMaxDevices (the least
// recently used go first), each for kLifetime after its last login, in STATE/devices.json.
#pragma once

#include "engine/clock.hpp"

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace stillroom {

class DeviceCookies {
public:
    static constexpr std::size_t kMaxDevices = 256;
    static constexpr Ms kLifetime = std::chrono::hours{24 * 180};

    explicit DeviceCookies(DeviceClock& clock, std::filesystem::path file = {});
    // The user a device secret belongs to, if the room knows it. Thread-safe; cheap (a digest
    // and a lookup), so the HTTP guard may ask it for every login.
    std::optional<std::string> user_of(const std::string& secret);
    // A new secret for `user`; `replaces` (the secret the login presented, if any) ends.
    // Writes the file (outside the lock). Thread-safe.
    std::string issue(const std::string& user, const std::string& replaces);
    // Forgets the devices of users who are gone. Thread-safe.
    void keep_users(const std::set<std::string>& names);
    std::size_t size() const;

private:
    struct Device {
        std::string user;
        DeviceTime expires{};
    };
    void save();
    void load();
    DeviceClock& clock_;
    std::filesystem::path file_;
    mutable std::mutex mutex_;
    std::map<std::string, Device> devices_; // keyed by the secret's digest
    std::mutex write_mutex_;
};

} // namespace stillroom
