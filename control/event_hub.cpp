// The event hub.
#include "control/event_hub.hpp"

namespace stillroom {

namespace {
constexpr std::size_t kRecent = 64;
}

void EventHub::publish(const std::string& event, const Json& data) {
    {
        std::lock_guard lock(mutex_);
        Event e{++seq_, "event: " + event + "\ndata: " + dump_json(data) + "\n\n"};
        if (event == "state") state_ = e;
        recent_.push_back(std::move(e));
        while (recent_.size() > kRecent)
            recent_.pop_front();
    }
    cv_.notify_all();
}

std::deque<EventHub::Event> EventHub::wait(std::uint64_t after, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    const std::uint64_t wakes = wakes_;
    cv_.wait_for(lock, timeout, [&] { return stopped_ || seq_ > after || wakes_ != wakes; });
    std::deque<Event> out;
    if (stopped_) return out;
    if (!recent_.empty() && recent_.front().seq > after + 1 && state_) {
        // Fell behind: the newest state stands for everything missed (reminders too are in it).
        out.push_back(*state_);
        for (const auto& e : recent_)
            if (e.seq > state_->seq) out.push_back(e);
        return out;
    }
    for (const auto& e : recent_)
        if (e.seq > after) out.push_back(e);
    return out;
}

std::optional<EventHub::Event> EventHub::latest_state() const {
    std::lock_guard lock(mutex_);
    return state_;
}

void EventHub::stop() {
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
    }
    cv_.notify_all();
}

void EventHub::wake() {
    {
        std::lock_guard lock(mutex_);
        ++wakes_;
    }
    cv_.notify_all();
}

bool EventHub::stopped() const {
    std::lock_guard lock(mutex_);
    return stopped_;
}

} // namespace stillroom
