// Log lines for journald: priority prefixes and a rate limit.
#include "app/journal_log.hpp"

#include <cstdlib>
#include <iostream>

namespace stillroom {

namespace {
constexpr std::size_t kMaxLine = 1000;
constexpr Ms kWindow{10'000};
} // namespace

int journal_priority(const std::string& line, int base) {
    for (const char* word : {"error", "cannot", "failed", "fault"})
        if (line.find(word) != std::string::npos) return 3;
    return base;
}

JournalLineBuf::JournalLineBuf(std::streambuf* out, int priority, DeviceClock& clock, int burst)
    : out_(out), priority_(priority), clock_(clock), burst_(burst), window_start_(clock.now()) {}

void JournalLineBuf::put_char(char c) {
    if (c == '\n') return end_line();
    if (line_.size() < kMaxLine) line_ += c;
}

void JournalLineBuf::end_line() {
    const DeviceTime now = clock_.now();
    if (now - window_start_ >= kWindow) {
        window_start_ = now;
        in_window_ = 0;
    }
    if (in_window_ >= burst_) {
        ++dropped_;
        ++dropped_total_;
        line_.clear();
        return;
    }
    ++in_window_;
    std::string text = "<" + std::to_string(journal_priority(line_, priority_)) + ">" + line_;
    if (dropped_)
        text += " (" + std::to_string(dropped_) + " lines dropped before this one: rate limit)";
    text += '\n';
    dropped_ = 0;
    line_.clear();
    out_->sputn(text.data(), static_cast<std::streamsize>(text.size()));
    out_->pubsync();
}

int JournalLineBuf::overflow(int ch) {
    if (ch == traits_type::eof()) return traits_type::not_eof(ch);
    std::lock_guard lock(mutex_);
    put_char(static_cast<char>(ch));
    return ch;
}

std::streamsize JournalLineBuf::xsputn(const char* s, std::streamsize n) {
    std::lock_guard lock(mutex_);
    for (std::streamsize i = 0; i < n; ++i)
        put_char(s[i]);
    return n;
}

int JournalLineBuf::sync() {
    std::lock_guard lock(mutex_);
    return out_->pubsync();
}

JournalLogging::JournalLogging(DeviceClock& clock) {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (!stream || !*stream) return;
    saved_out_ = std::cout.rdbuf();
    saved_err_ = std::cerr.rdbuf();
    out_ = std::make_unique<JournalLineBuf>(saved_out_, 6, clock);
    err_ = std::make_unique<JournalLineBuf>(saved_err_, 4, clock);
    std::cout.rdbuf(out_.get());
    std::cerr.rdbuf(err_.get());
}

JournalLogging::~JournalLogging() {
    if (!out_) return;
    std::cout.flush();
    std::cerr.flush();
    std::cout.rdbuf(saved_out_);
    std::cerr.rdbuf(saved_err_);
}

} // namespace stillroom
