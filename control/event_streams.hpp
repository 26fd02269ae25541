// Who holds the event streams (docs/security.md "Event streams"). Each role has its own
// streams and each user at most kPerUser of them; a new stream never waits or fails for
// another's: when its user already holds kPerUser, that user's oldest stream ends, and when
// its role's streams are all taken, the oldest stream of the user holding most of them ends.
// So a curator holding every stream they can get never takes the therapist's.
#pragma once

#include "control/auth.hpp"
#include "control/event_hub.hpp"

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>

namespace stillroom {

class StreamRegistry {
public:
    static constexpr int kPerUser = 3;
    // Streams per role. The HTTP guard keeps a few more stream workers per role than this
    // (control/request_lanes.hpp), so an ending stream never holds up a new one.
    static int role_limit(Role role);

    // One admitted stream: ends (`ended`) when replaced; released when destroyed.
    class Lease {
    public:
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        bool ended() const { return ended_.load(); }

    private:
        friend class StreamRegistry;
        Lease(StreamRegistry& owner, std::string user, Role role, std::uint64_t seq)
            : owner_(owner), user_(std::move(user)), role_(role), seq_(seq) {}
        StreamRegistry& owner_;
        std::string user_;
        Role role_;
        std::uint64_t seq_;
        std::atomic<bool> ended_{false};
    };

    explicit StreamRegistry(EventHub& hub) : hub_(hub) {}
    // Admits a stream for `user` (never refuses; may end an older one). Thread-safe.
    std::shared_ptr<Lease> admit(const std::string& user, Role role);
    // Streams open now, in all or for one user. Thread-safe.
    int open(Role role) const;
    int open_for(const std::string& user) const;

private:
    void release(const Lease& lease);
    EventHub& hub_;
    mutable std::mutex mutex_;
    std::list<Lease*> open_; // oldest first
    std::uint64_t next_ = 0;
};

} // namespace stillroom
