// Logs under systemd: when JOURNAL_STREAM says stdout and stderr go to journald, every line
// the room writes to std::cout / std::cerr gets a syslog priority prefix ("<6>" info for
// std::cout's narration, "<4>" warning for std::cerr's problems; "<3>" error for a line that
// says "error" or "cannot"), read by journald (SyslogLevelPrefix=yes, systemd.exec(5)). One
// line per event, cut at 1000 characters, and at most `burst` lines per stream in each 10 s:
// the rest are dropped and counted in the next line that passes. Outside systemd nothing
// changes. The room logs no secrets: PINs, tokens and patient text never reach these streams.
#pragma once

#include "engine/clock.hpp"

#include <iosfwd>
#include <memory>
#include <mutex>
#include <streambuf>
#include <string>

namespace stillroom {

class JournalLineBuf final : public std::streambuf {
public:
    // Writes prefixed lines to `out` (the stream's original buffer).
    JournalLineBuf(std::streambuf* out, int priority, DeviceClock& clock, int burst = 200);
    long dropped_total() const { return dropped_total_; }

protected:
    int overflow(int ch) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    int sync() override;

private:
    void put_char(char c);
    void end_line();
    std::streambuf* out_;
    int priority_;
    DeviceClock& clock_;
    int burst_;
    std::mutex mutex_;
    std::string line_;
    DeviceTime window_start_{};
    int in_window_ = 0;
    long dropped_ = 0; // since the last line that passed
    long dropped_total_ = 0;
};

// The priority a line gets on a stream whose default is `base`: 3 (error) for a line that
// says an error, else `base`.
int journal_priority(const std::string& line, int base);

// Installs the prefixing buffers on std::cout and std::cerr when JOURNAL_STREAM is set;
// restores them when destroyed.
class JournalLogging {
public:
    explicit JournalLogging(DeviceClock& clock);
    ~JournalLogging();
    JournalLogging(const JournalLogging&) = delete;
    JournalLogging& operator=(const JournalLogging&) = delete;
    bool active() const { return out_ != nullptr; }

private:
    std::unique_ptr<JournalLineBuf> out_, err_;
    std::streambuf* saved_out_ = nullptr;
    std::streambuf* saved_err_ = nullptr;
};

} // namespace stillroom
