// libsystemd's sd_notify, wrapped once (STYLE.md habit 7): what `stillroom run` tells systemd
// when it runs as a Type=notify service (lib/systemd/system/stillroom@.service). Without
// NOTIFY_SOCKET every call does nothing.
//
//   READY=1      once the room serves (engine running, tablet listening)
//   STATUS=...   a line a person reads in `systemctl status`
//   WATCHDOG=1   from the engine thread's own loop, at half of WATCHDOG_USEC: an engine that
//                hangs stops the pings, and systemd restarts the room (which resumes its
//                session from the journal)
//   STOPPING=1   on SIGTERM
#pragma once

#include "engine/clock.hpp"

#include <atomic>
#include <optional>
#include <string>

namespace stillroom {

class SystemdNotifier {
public:
    // Reads NOTIFY_SOCKET and WATCHDOG_USEC / WATCHDOG_PID (sd_watchdog_enabled) once.
    explicit SystemdNotifier(DeviceClock& clock);

    bool active() const { return active_; }
    // Half the watchdog interval systemd asked for; nullopt without a watchdog.
    std::optional<Ms> ping_every() const { return ping_every_; }

    // Runs on: any thread.
    void ready(const std::string& status);
    void status(const std::string& status);
    void stopping(const std::string& status);

    // Runs on: the engine thread, every turn of its loop. Sends WATCHDOG=1 when half the
    // watchdog interval has passed since the last ping (or none was sent yet).
    void engine_turn();

    // Pings sent so far (for the log and tests).
    long pings() const { return pings_.load(); }

private:
    void send(const std::string& message);
    DeviceClock& clock_;
    bool active_ = false;
    std::optional<Ms> ping_every_;
    std::optional<DeviceTime> last_ping_; // engine thread only
    std::atomic<long> pings_{0};
};

// A status line is one line: newlines and other control characters become spaces.
std::string one_status_line(const std::string& text);

} // namespace stillroom
