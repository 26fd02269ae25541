// sd_notify, wrapped once.
#include "app/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>

namespace stillroom {

std::string one_status_line(const std::string& text) {
    std::string line = text.substr(0, 200);
    for (auto& c : line)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    return line;
}

SystemdNotifier::SystemdNotifier(DeviceClock& clock) : clock_(clock) {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    active_ = socket && *socket;
    std::uint64_t usec = 0;
    // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is this process.
    if (active_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
        ping_every_ = Ms{static_cast<std::int64_t>(usec / 2000)};
}

void SystemdNotifier::send(const std::string& message) {
    if (active_) sd_notify(0, message.c_str());
}

void SystemdNotifier::ready(const std::string& status) {
    send("READY=1\nSTATUS=" + one_status_line(status));
}

void SystemdNotifier::status(const std::string& status) {
    send("STATUS=" + one_status_line(status));
}

void SystemdNotifier::stopping(const std::string& status) {
    send("STOPPING=1\nSTATUS=" + one_status_line(status));
}

void SystemdNotifier::engine_turn() {
    if (!active_ || !ping_every_) return;
    const DeviceTime now = clock_.now();
    if (last_ping_ && now - *last_ping_ < *ping_every_) return;
    last_ping_ = now;
    send("WATCHDOG=1");
    pings_.fetch_add(1);
}

} // namespace stillroom
