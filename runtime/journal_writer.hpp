// The session journal's durable writer: each record is written and fdatasync'ed before the
// room acts on its effects; a torn tail (power cut mid-write) is cut off before the next
// append. The file is preallocated ahead of its data (fallocate, kJournalPrealloc, grown
// again when less than kJournalGrowAt is left), so a disk that fills up with other files
// never stops the journal: its records go into space it already holds. The file is
// therefore longer than its data; the rest is zero bytes, which the readers ignore
// (engine/journal.cpp). The file format and the readers are the engine's (engine/journal.hpp).
#pragma once

#include "engine/journal.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <sys/types.h>

namespace stillroom {

inline constexpr off_t kJournalPrealloc = 8 << 20; // 8 MiB: a long session's records, twice
inline constexpr off_t kJournalGrowAt = 2 << 20;   // grow when less than this is left

class JournalWriter {
public:
    // Opens (creating directories and the file) for appending after the last record. A torn
    // tail is cut off. Returns nullptr and sets *error on failure.
    static std::unique_ptr<JournalWriter> open(const std::filesystem::path& path,
                                               std::string* error);
    ~JournalWriter();
    JournalWriter(const JournalWriter&) = delete;
    JournalWriter& operator=(const JournalWriter&) = delete;

    // Appends one record as a line and waits until it is on disk (fdatasync).
    // On failure (e.g. ENOSPC) returns false with *error set; nothing partial is left behind.
    // Runs on: whichever thread holds the room lock (the engine thread, or the HTTP, MQTT or
    // MIDI thread whose command the room is carrying out).
    bool append(const Json& record, std::string* error);
    // Gives back the preallocated space after the last record (the session has finished).
    void release_preallocation();
    const std::filesystem::path& path() const { return path_; }
    // Bytes of records, and bytes the file holds ready for more (0 when the file system
    // cannot preallocate, or the disk was full when it tried).
    off_t data_end() const { return end_; }
    off_t reserved_ahead() const { return allocated_ > end_ ? allocated_ - end_ : 0; }

private:
    JournalWriter(std::filesystem::path path, int fd, off_t end, off_t allocated)
        : path_(std::move(path)), fd_(fd), end_(end), allocated_(allocated) {}
    // Makes sure at least kJournalGrowAt is preallocated after the data.
    void grow();
    // Takes back `length` bytes written at `from` (a failed or unsynced append).
    void take_back(off_t from, off_t length);
    std::filesystem::path path_;
    int fd_ = -1;
    off_t end_ = 0;       // where the next record goes (end of the data)
    off_t allocated_ = 0; // the file's size: data, then zero bytes held in reserve
};

} // namespace stillroom
