// Device cookies.
#include "control/device_cookies.hpp"

#include "control/auth.hpp"
#include "engine/json_reader.hpp"
#include "library/library_files.hpp"

#include <sodium.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

namespace stillroom {

DeviceCookies::DeviceCookies(DeviceClock& clock, std::filesystem::path file)
    : clock_(clock), file_(std::move(file)) {
    load();
}

void DeviceCookies::load() {
    if (file_.empty()) return;
    std::ifstream in(file_, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    const Json j = parse_json_or_discarded(s.str());
    if (!j.is_object()) return;
    const DeviceTime now = clock_.now();
    const std::int64_t wall = clock_.wall_unix_ms();
    for (const auto& [key, v] : j.items()) {
        if (!v.is_object() || key.size() != 64 || devices_.size() >= kMaxDevices) continue;
        const std::int64_t expires = v.value("expires_unix_ms", std::int64_t{0});
        const std::string user = v.value("user", "");
        if (expires <= wall || user.empty()) continue;
        devices_[key] = {user, now + Ms{std::min<std::int64_t>(expires - wall, kLifetime.count())}};
    }
}

void DeviceCookies::save() {
    if (file_.empty()) return;
    std::lock_guard write(write_mutex_); // snapshots reach the disk in order
    Json j = Json::object();
    {
        std::lock_guard lock(mutex_);
        const DeviceTime now = clock_.now();
        const std::int64_t wall = clock_.wall_unix_ms();
        for (const auto& [key, d] : devices_)
            j[key] = {{"user", d.user}, {"expires_unix_ms", wall + (d.expires - now).count()}};
    }
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    std::string error;
    if (!write_file_atomically(file_, dump_json(j) + "\n", &error, 0600))
        std::cerr << "stillroom: auth: " << error << " (known devices are kept in memory)"
                  << std::endl;
}

std::optional<std::string> DeviceCookies::user_of(const std::string& secret) {
    if (secret.size() != 32) return std::nullopt;
    const std::string key = secret_digest(secret);
    std::lock_guard lock(mutex_);
    auto it = devices_.find(key);
    if (it == devices_.end()) return std::nullopt;
    if (it->second.expires <= clock_.now()) {
        devices_.erase(it);
        return std::nullopt;
    }
    return it->second.user;
}

std::string DeviceCookies::issue(const std::string& user, const std::string& replaces) {
    const std::string secret = random_secret();
    {
        std::lock_guard lock(mutex_);
        const DeviceTime now = clock_.now();
        if (replaces.size() == 32) devices_.erase(secret_digest(replaces));
        std::erase_if(devices_, [&](const auto& kv) { return kv.second.expires <= now; });
        while (devices_.size() >= kMaxDevices) {
            auto oldest = std::min_element(
                devices_.begin(), devices_.end(),
                [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
            devices_.erase(oldest);
        }
        devices_[secret_digest(secret)] = {user, now + kLifetime};
    }
    save();
    return secret;
}

void DeviceCookies::keep_users(const std::set<std::string>& names) {
    std::size_t before;
    {
        std::lock_guard lock(mutex_);
        before = devices_.size();
        std::erase_if(devices_, [&](const auto& kv) { return names.count(kv.second.user) == 0; });
        if (devices_.size() == before) return;
    }
    save();
}

std::size_t DeviceCookies::size() const {
    std::lock_guard lock(mutex_);
    return devices_.size();
}

} // namespace stillroom
