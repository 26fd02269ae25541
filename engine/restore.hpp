// Restoring a session from its journal: replay every accepted command into a fresh
// Session at its recorded time. The result is the same state as the uninterrupted run.
#pragma once

#include "engine/journal.hpp"
#include "engine/problems.hpp"
#include "engine/session.hpp"

#include <memory>
#include <optional>

namespace stillroom {

struct RestoredSession {
    std::unique_ptr<Session> session;
    Ms last_record{0};     // session time of the last journal record
    bool finished = false; // the journal ends with "finished"
    bool torn_tail = false;
    std::vector<std::string> warnings;
};

// Rebuilds the SessionSetup from a journal's "start" record.
std::optional<SessionSetup> setup_from_start_record(const Json& start, Problems& problems);

// Replays a journal. Returns nullopt (with problems) when there is no usable start record.
std::optional<RestoredSession> restore_session(const JournalContents& journal, Problems& problems);

} // namespace stillroom
