// Request lanes for the room's API.
#include "control/request_lanes.hpp"

#include "control/event_streams.hpp"
#include "engine/json_reader.hpp"

namespace stillroom {

namespace {

constexpr int kSpareStreamWorkers = 4;

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

std::string_view path_of(std::string_view target) {
    return target.substr(0, target.find('?'));
}

// The value of ?token= (EventSource cannot send headers), or empty.
std::string_view token_param(std::string_view target) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) return {};
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        if (starts_with(pair, "token=")) return pair.substr(6);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return {};
}

} // namespace

int stream_group(Role role) {
    return static_cast<int>(role);
}

std::vector<int> stream_groups_by_role() {
    std::vector<int> groups;
    for (Role r : {Role::Therapist, Role::Curator, Role::Clinic}) {
        const auto i = static_cast<std::size_t>(stream_group(r));
        if (groups.size() <= i) groups.resize(i + 1, 0);
        groups[i] = StreamRegistry::role_limit(r) + kSpareStreamWorkers;
    }
    return groups;
}

bool is_session_command(std::string_view method, std::string_view target) {
    const std::string_view path = path_of(target);
    return method == "POST" &&
           (starts_with(path, "/api/v1/session/") || path == "/api/v1/audio/volume" ||
            path == "/api/v1/audio/skip" || path == "/api/v1/audio/depth");
}

RequestClassifier api_request_classifier(Auth& auth, std::string events_path) {
    return [&auth, events_path = std::move(events_path)](const RequestSummary& r) -> RequestClass {
        const std::string_view path = path_of(r.target);
        if (r.method == "POST" && path == "/api/v1/login") {
            // A login from a known device is trusted work: it has its own login worker.
            // Only a small body is read here; the login handler reads it again.
            if (r.body.size() <= 1024) {
                const Json j = parse_json_or_discarded(std::string(r.body));
                if (j.is_object() && j.contains("device") && j["device"].is_string() &&
                    auth.device_known(j["device"].get<std::string>()))
                    return {RequestLane::Trusted, 0};
            }
            return {RequestLane::Stranger, 0};
        }
        std::string_view token;
        if (starts_with(r.authorization, "Bearer ")) token = r.authorization.substr(7);
        const bool events = r.method == "GET" && path == events_path;
        if (token.empty() && events) token = token_param(r.target);
        const auto who = token.empty() ? std::nullopt : auth.check(std::string(token));
        if (!who) return {RequestLane::Stranger, 0};
        if (events) return {RequestLane::Trusted, stream_group(who->role)};
        if (role_allows(who->role, Role::Therapist) && is_session_command(r.method, r.target))
            return {RequestLane::Urgent, 0};
        return {RequestLane::Trusted, 0};
    };
}

} // namespace stillroom
