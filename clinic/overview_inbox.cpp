// The overview's inbox: sorted, bounded, parsed off the network thread.
#include "clinic/overview_inbox.hpp"

#include <utility>

namespace stillroom {

namespace {

constexpr std::size_t kMaxSmall = 4096; // a heartbeat or a result is a few hundred bytes

bool ends_with(const std::string& s, const char* tail, std::size_t n) {
    return s.size() > n && s.compare(s.size() - n, n, tail) == 0 && s[s.size() - n - 1] == '/';
}

bool starts_like_object(const std::string& p) {
    for (char c : p) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        return c == '{';
    }
    return false;
}

} // namespace

OverviewInbox::OverviewInbox(Sink sink, OverviewInboxOptions options)
    : sink_(std::move(sink)), options_(options) {}

OverviewInbox::~OverviewInbox() {
    stop();
}

void OverviewInbox::start() {
    std::lock_guard lock(mutex_);
    if (running_) return;
    running_ = true;
    thread_ = std::thread([this] { reader(); });
}

void OverviewInbox::stop() {
    {
        std::lock_guard lock(mutex_);
        if (!running_) return;
        running_ = false;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void OverviewInbox::offer(const std::string& topic, std::string payload) {
    // Runs on: the MQTT network thread. Cheap: string compares and a move.
    const bool state = ends_with(topic, "state", 5);
    const bool status = ends_with(topic, "status", 6);
    const bool small = ends_with(topic, "heartbeat", 9) || ends_with(topic, "result", 6);
    bool ok = state || status || small;
    if (status)
        ok = payload.empty() || payload == "online" || payload == "offline";
    else if (ok)
        ok = starts_like_object(payload) && (!small || payload.size() <= kMaxSmall);
    {
        std::lock_guard lock(mutex_);
        if (!ok) {
            ++counts_.refused;
            return;
        }
        if (state) {
            auto it = states_.find(topic);
            const std::size_t older = it != states_.end() ? it->second.size() : 0;
            if (state_bytes_ - older + payload.size() > options_.max_state_bytes ||
                (it == states_.end() && states_.size() >= options_.max_state_topics)) {
                ++counts_.dropped;
                return;
            }
            state_bytes_ = state_bytes_ - older + payload.size();
            if (it != states_.end()) {
                it->second = std::move(payload); // the older one was stale
                ++counts_.replaced;
                return;
            }
            states_.emplace(topic, std::move(payload));
            state_order_.push_back(topic);
        } else {
            // A room taken out (its status cleared): a state of it still waiting would bring
            // it back after the removal, as a ghost. It goes with it.
            if (status && payload.empty()) {
                const std::string state_topic = topic.substr(0, topic.size() - 6) + "state";
                if (auto it = states_.find(state_topic); it != states_.end()) {
                    state_bytes_ -= it->second.size();
                    states_.erase(it);
                    std::erase(state_order_, state_topic);
                }
            }
            if (urgent_.size() >= options_.max_urgent) {
                urgent_.pop_front();
                ++counts_.dropped;
            }
            urgent_.emplace_back(topic, std::move(payload));
        }
    }
    cv_.notify_one();
}

void OverviewInbox::reader() {
    // Runs on: the inbox's reader thread. One message at a time; the urgent ones first.
    std::unique_lock lock(mutex_);
    for (;;) {
        cv_.wait(lock, [&] { return !running_ || !urgent_.empty() || !state_order_.empty(); });
        if (!running_) return;
        std::pair<std::string, std::string> next;
        if (!urgent_.empty()) {
            next = std::move(urgent_.front());
            urgent_.pop_front();
        } else {
            next.first = std::move(state_order_.front());
            state_order_.pop_front();
            auto it = states_.find(next.first);
            state_bytes_ -= it->second.size();
            next.second = std::move(it->second);
            states_.erase(it);
        }
        ++counts_.delivered;
        lock.unlock();
        sink_(next.first, next.second);
        lock.lock();
    }
}

OverviewInbox::Counts OverviewInbox::counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
}

} // namespace stillroom
