// Restoring a session from its journal: replay every accepted command into a fresh
// Session at its recorded time. The result is the same state as the uninterrupted run.
#pragma once

#include "engine/journal.hpp"
#include "engine/problems.hpp"
#include "engine/session.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace stillroom {

struct RestoredSession {
    std::unique_ptr<Session> session;
    Ms last_record{0};     // session time of the last journal record
    bool finished = false; // the journal ends with "finished"
    bool torn_tail = false;
    // The start record had no scene snapshot (a journal written before sessions carried
    // their scenes): the scenes came from `SceneFallback`, i.e. the library as it is now.
    bool scenes_from_library = false;
    std::vector<std::string> warnings;
};

// The scenes a session of this template can reach, resolved for the room's lights, as the
// library says now (Library::session_scenes). Used only for journals without a snapshot.
using SceneFallback = std::function<std::map<std::string, SceneLights>(const SessionTemplate&)>;

// Rebuilds the SessionSetup from a journal's "start" record.
std::optional<SessionSetup> setup_from_start_record(const Json& start, Problems& problems);

// Replays a journal. Returns nullopt (with problems) when there is no usable start record.
// A start record without "scenes" takes them from `fallback` (when given) and says so in
// `scenes_from_library` and `warnings`; without a fallback such a session has no light
// targets.
std::optional<RestoredSession> restore_session(const JournalContents& journal, Problems& problems,
                                               const SceneFallback& fallback = {});

} // namespace stillroom
