// Server-Sent Events: every state change and reminder, to every connected tablet. A slow
// client never holds up the room: it just skips to the newest state.
#pragma once

#include "engine/json_reader.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace stillroom {

class EventHub {
public:
    struct Event {
        std::uint64_t seq = 0;
        std::string text; // "event: state\ndata: {...}\n\n"
    };
    // Runs on: any thread (the room calls it under its lock: it only queues).
    void publish(const std::string& event, const Json& data);
    // Waits up to `timeout` for events after `after`; returns what there is (maybe nothing).
    std::deque<Event> wait(std::uint64_t after, std::chrono::milliseconds timeout);
    // The newest state event, for a client that connects or falls behind.
    std::optional<Event> latest_state() const;
    void stop();
    bool stopped() const;
    // Ends every current wait() early with nothing new (a stream checks whether it still may
    // run: a replaced stream, a token whose user changed). Runs on: any thread.
    void wake();

private:
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Event> recent_;
    std::optional<Event> state_;
    std::uint64_t seq_ = 0;
    std::uint64_t wakes_ = 0;
    bool stopped_ = false;
};

} // namespace stillroom
