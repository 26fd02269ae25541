// A driver that narrates every effect as a log line: the room as text, for the demo and
// for headless rooms. Safe to run beside the real drivers.
#pragma once

#include "engine/room_driver.hpp"

#include <functional>
#include <mutex>
#include <ostream>

namespace stillroom {

class LogDriver final : public RoomDriver {
public:
    // `clock_text` turns an effect's session time into the prefix of each line.
    explicit LogDriver(std::ostream& out) : out_(out) {}
    std::string name() const override { return "log"; }
    void apply(const Effect& effect, MonoTime at) override;
    void reconcile(const DesiredState& state, MonoTime at) override;
    Json health() const override { return {{"ok", true}, {"detail", "narrating"}}; }

private:
    std::ostream& out_;
    std::mutex mutex_;
};

} // namespace stillroom
