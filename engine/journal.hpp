// The session journal as files: one append-only JSON-lines file per session in the state
// dir, read tolerantly (a torn last line from a power cut is ignored; every line carries a
// CRC-32, engine/journal_record.hpp, so a damaged line is reported as damaged, never read as
// a different record). The durable writer lives in runtime/journal_writer.hpp.
#pragma once

#include "engine/json_reader.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

struct JournalContents {
    std::vector<Json> records;
    bool torn_tail = false;            // the last line was incomplete and was ignored
    std::vector<std::string> problems; // bad lines in the middle (reported, skipped)
    std::vector<std::string> damaged;  // lines whose checksum does not match (also in problems)
};

// Reads a journal; never throws. A missing file gives no records and one problem.
JournalContents read_journal(const std::filesystem::path& path);

// Where a journal file's data ends: its size without the tail of zero bytes the writer
// preallocates (runtime/journal_writer.hpp; a record never holds a zero byte). Reads the file
// backwards in fixed chunks (the tail is megabytes; nothing the size of the file is
// allocated). nullopt on a read error.
std::optional<long long> journal_data_end(int fd, long long size);

// The journal file for a session id: STATE_DIR/sessions/ID.jsonl
std::filesystem::path journal_path(const std::filesystem::path& state_dir, const std::string& id);

// STATE_DIR/sessions/current: the id of the session that runs in this state dir, written
// (temp file, fsync, rename) when a session starts and removed when it finishes. It alone
// says which session a restart resumes; file times never do.
std::filesystem::path current_session_path(const std::filesystem::path& state_dir);
bool write_current_session(const std::filesystem::path& state_dir, const std::string& id,
                           std::string* error = nullptr);
// Removes the record if it names `id`.
void clear_current_session(const std::filesystem::path& state_dir, const std::string& id);

// The journal of the session the state dir records as running (`current`; a state dir from
// before it: the session with an anchor), if it has not finished. Never another one: if it
// is finished, nothing is resumed; if its start record is damaged or its journal missing,
// nothing is resumed and *damage says why (never an older session instead).
std::optional<std::filesystem::path> find_unfinished_journal(const std::filesystem::path& state_dir,
                                                             std::string* damage = nullptr);

} // namespace stillroom
