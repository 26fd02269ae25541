// The session journal: one append-only JSON-lines file per session in the state dir.
// Each record is written and fdatasync'ed before its effects are acted on. A torn last
// line (power cut mid-write) is tolerated on read and cut off before the next append.
// Every line carries a CRC-32 (engine/journal_record.hpp): a damaged line is reported as
// damaged, never read as a different record.
#pragma once

#include "engine/json_reader.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

class JournalWriter {
public:
    // Opens (creating directories and the file) for appending. A torn tail is truncated.
    // Returns nullptr and sets *error on failure.
    static std::unique_ptr<JournalWriter> open(const std::filesystem::path& path, std::string* error);
    ~JournalWriter();
    JournalWriter(const JournalWriter&) = delete;
    JournalWriter& operator=(const JournalWriter&) = delete;

    // Appends one record as a line and waits until it is on disk (fdatasync).
    // On failure (e.g. ENOSPC) returns false with *error set; nothing partial is left behind.
    // Runs on: the engine thread.
    bool append(const Json& record, std::string* error);
    const std::filesystem::path& path() const { return path_; }

private:
    JournalWriter(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
    std::filesystem::path path_;
    int fd_ = -1;
};

struct JournalContents {
    std::vector<Json> records;
    bool torn_tail = false;     // the last line was incomplete and was ignored
    std::vector<std::string> problems; // bad lines in the middle (reported, skipped)
    std::vector<std::string> damaged;  // lines whose checksum does not match (also in problems)
};

// Reads a journal; never throws. A missing file gives no records and one problem.
JournalContents read_journal(const std::filesystem::path& path);

// The journal file for a session id: STATE_DIR/sessions/ID.jsonl
std::filesystem::path journal_path(const std::filesystem::path& state_dir, const std::string& id);

// The newest journal in the state dir, if its session has not finished. Never an older
// one: if the newest is finished, nothing is resumed; if its start record is damaged,
// nothing is resumed and *damage says why (a damaged start must not resume an older session).
std::optional<std::filesystem::path> find_unfinished_journal(const std::filesystem::path& state_dir,
                                                             std::string* damage = nullptr);

} // namespace stillroom
