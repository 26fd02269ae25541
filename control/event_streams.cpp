// Event streams per role and per user.
#include "control/event_streams.hpp"

#include <algorithm>
#include <map>

namespace stillroom {

int StreamRegistry::role_limit(Role role) {
    switch (role) {
    case Role::Therapist:
        return 12;
    case Role::Curator:
        return 6;
    case Role::Clinic:
        return 6;
    }
    return 6;
}

StreamRegistry::Lease::~Lease() {
    owner_.release(*this);
}

void StreamRegistry::release(const Lease& lease) {
    std::lock_guard lock(mutex_);
    open_.remove(const_cast<Lease*>(&lease));
}

std::shared_ptr<StreamRegistry::Lease> StreamRegistry::admit(const std::string& user, Role role) {
    bool ended_one = false;
    std::shared_ptr<Lease> lease;
    {
        std::lock_guard lock(mutex_);
        auto end_oldest_of = [&](const std::string& who) {
            for (auto it = open_.begin(); it != open_.end(); ++it)
                if ((*it)->user_ == who && (*it)->role_ == role) {
                    (*it)->ended_ = true;
                    open_.erase(it);
                    ended_one = true;
                    return;
                }
        };
        int mine = 0, in_role = 0;
        std::map<std::string, int> per_user;
        for (const Lease* l : open_) {
            if (l->role_ != role) continue;
            ++in_role;
            ++per_user[l->user_];
            if (l->user_ == user) ++mine;
        }
        if (mine >= kPerUser) {
            end_oldest_of(user);
        } else if (in_role >= role_limit(role)) {
            // The user holding most of the role's streams gives up their oldest.
            auto most =
                std::max_element(per_user.begin(), per_user.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
            end_oldest_of(most->first);
        }
        lease.reset(new Lease(*this, user, role, ++next_));
        open_.push_back(lease.get());
    }
    if (ended_one) hub_.wake(); // the ended stream notices at once and closes
    return lease;
}

int StreamRegistry::open(Role role) const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(std::count_if(open_.begin(), open_.end(),
                                          [&](const Lease* l) { return l->role_ == role; }));
}

int StreamRegistry::open_for(const std::string& user) const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(std::count_if(open_.begin(), open_.end(),
                                          [&](const Lease* l) { return l->user_ == user; }));
}

} // namespace stillroom
