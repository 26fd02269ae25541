// What the overview's MQTT connection brings in, sorted before anything is parsed, so that
// a flood on the rooms' topics (a hostile or broken publisher sending states as fast as the
// broker takes them) cannot hold back what matters: the network thread only files each
// message, cheaply, and returns to its socket; the overview's reader thread parses.
//  - Status, heartbeat and result messages (small; a result answers a library change)
//    wait in one queue of at most `max_urgent`, oldest dropped when full; they are always
//    handled before any state.
//  - A state waits per topic, and only the newest: a room's earlier state is stale once a
//    newer one arrived (drop-oldest per topic). At most `max_state_topics` topics wait; a
//    new topic beyond them is dropped (and counted): rooms say their state again every
//    60 s and when the overview announces itself.
//  - Refused before queuing, with no parsing: another topic than ROOM/status, state,
//    result or heartbeat; a status other than online/offline/empty; a state, result or
//    heartbeat that does not start with '{'; a heartbeat or result over 4 KiB.
// Runs on: offer() on any thread (the MQTT network thread); the sink on the inbox's own
// reader thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace stillroom {

struct OverviewInboxOptions {
    std::size_t max_urgent = 4096;
    std::size_t max_state_topics = 1024;
    // The waiting states' payloads together (each up to the client's packet limit): a
    // stranger on hundreds of made-up room ids cannot make the overview hold gigabytes.
    std::size_t max_state_bytes = 16u << 20;
};

class OverviewInbox {
public:
    using Sink = std::function<void(const std::string& topic, const std::string& payload)>;
    explicit OverviewInbox(Sink sink, OverviewInboxOptions options = {});
    ~OverviewInbox();
    OverviewInbox(const OverviewInbox&) = delete;
    OverviewInbox& operator=(const OverviewInbox&) = delete;
    void start();
    void stop();
    // Files one message; never parses, never blocks on the sink. Runs on: any thread.
    void offer(const std::string& topic, std::string payload);

    struct Counts {
        std::uint64_t refused = 0;   // refused before queuing (shape, size)
        std::uint64_t replaced = 0;  // a waiting state replaced by a newer one
        std::uint64_t dropped = 0;   // queues full
        std::uint64_t delivered = 0; // handed to the sink
    };
    Counts counts() const;

private:
    void reader();
    Sink sink_;
    OverviewInboxOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::pair<std::string, std::string>> urgent_;
    std::map<std::string, std::string> states_; // topic -> newest payload
    std::deque<std::string> state_order_;       // topics in arrival order (each once)
    std::size_t state_bytes_ = 0;               // the waiting states' payloads
    Counts counts_;
    bool running_ = false;
    std::thread thread_;
};

} // namespace stillroom
