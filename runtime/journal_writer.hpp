// The session journal's durable writer: each record is appended and fdatasync'ed before the
// room acts on its effects; a torn tail (power cut mid-write) is cut off before the next
// append. The file format and the readers are the engine's (engine/journal.hpp).
#pragma once

#include "engine/journal.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace stillroom {

class JournalWriter {
public:
    // Opens (creating directories and the file) for appending. A torn tail is truncated.
    // Returns nullptr and sets *error on failure.
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
    const std::filesystem::path& path() const { return path_; }

private:
    JournalWriter(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
    std::filesystem::path path_;
    int fd_ = -1;
};

} // namespace stillroom
