// What the room's state file (the anchor, runtime/room.cpp) knows of a session besides its
// clocks, and how a resume uses it when the journal lost records (issue 25 items 12, 13):
// the dose and booster times, the trim, and whether Comfort, Lights up and Hold are on (and
// since when), with the `seq` of the last record written. A journal cut at a record
// boundary, or a record damaged on disk (the dose, say), then costs nothing the state file
// knows: the resume replays it at its own time and says so in its "resumed" event (`gap`,
// engine/journal_gaps.hpp); the tablet shows it and the report flags it.
#pragma once

#include "engine/journal_gaps.hpp"
#include "engine/restore.hpp"
#include "engine/session.hpp"

#include <optional>
#include <string>
#include <vector>

namespace stillroom {

// The anchor's "record": {"t", "dose_t", "booster_t", "trim_db", "comfort_since",
// "lights_up_since", "held_since"} (session ms; null when not so).
Json session_facts(const Session& session, Ms now);

struct JournalRepair {
    std::vector<SeqGap> missing;   // seq gaps found now
    std::vector<std::string> kept; // facts taken back from the state file ("dose", "trim" ...)
    Json gap; // the resumed event's "gap" (engine/journal_gaps.hpp); null: nothing to say
    std::string summary; // for the tablet and the log (empty: nothing to say)
};

// Restores the journal; where it lost records (seq gaps, damaged lines, a cut end the
// anchor's "seq" reveals) and the anchor knows more, the anchor's facts are replayed at
// their times. The dose and booster are taken from any anchor; the rest only from an anchor
// at least as new as the journal (its seq not behind), so an old state file never undoes a
// later command.
std::optional<RestoredSession> restore_with_repair(JournalContents& contents, const Json& anchor,
                                                   Problems& problems,
                                                   const SceneFallback& fallback,
                                                   JournalRepair* repair);

} // namespace stillroom
