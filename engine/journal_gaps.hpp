// Gaps in a session journal (issue 25 items 12 and 13). Every record carries a sequence
// number `seq` (1, 2, 3, ... per session, assigned by the room as it queues the record);
// the room's state file (the anchor, runtime/room.cpp) says the last one written. A record
// that is missing from the middle (a damaged line, a lost write) or from the end (a file cut
// at a record boundary) is a gap. When the room resumes over a gap it journals one
// `{"type":"event","event":"journal_gap","missing":[[from,to],...],"kept":[...],
// "restored":[cmd records]}`: the commands it took back from the state file (the dose, the
// trim, Comfort ...), replayed at their own times by restore_session and read by the report.
#pragma once

#include "engine/journal.hpp"

#include <cstdint>
#include <vector>

namespace stillroom {

struct SeqGap {
    std::int64_t from = 0; // the first missing seq
    std::int64_t to = 0;   // the last missing seq (inclusive)
    bool operator==(const SeqGap&) const = default;
};

// The highest `seq` in the journal (0: none).
std::int64_t last_journal_seq(const JournalContents& journal);

// The "gap" object of a "resumed" event record, or nullptr.
const Json* resume_gap(const Json& record);

// Missing sequence numbers: holes between records, and a cut end when `known_last` (the
// state file's last written seq) is beyond the journal's last. Records without a seq (a
// journal from before sequence numbers) are not counted. Gaps a resumed event already
// names are left out.
std::vector<SeqGap> journal_seq_gaps(const JournalContents& journal, std::int64_t known_last = 0);

// Every seq gap the journal has ever had, named by resumed events or seen as holes.
std::vector<SeqGap> journal_all_gaps(const JournalContents& journal);

// The records with the commands of every resumed event's "gap.restored" list merged in at
// their own times (each before the first record later than it; the start record first).
std::vector<Json> records_with_restored(const std::vector<Json>& records);

// "seq 12-14, 20" for people.
std::string describe_gaps(const std::vector<SeqGap>& gaps);

} // namespace stillroom
