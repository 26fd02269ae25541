// Log lines for journald (app/journal_log.hpp): a priority prefix per line, long lines cut,
// and the rate limit that drops and counts, with the window on an injected clock.
#include "app/journal_log.hpp"

#include <doctest/doctest.h>

#include <ostream>
#include <sstream>

using namespace stillroom;

TEST_CASE("journald lines: a <N> prefix per line, errors at priority 3, long lines cut") {
    ManualDeviceClock clock;
    std::stringstream sink;
    JournalLineBuf buf(sink.rdbuf(), 6, clock);
    std::ostream out(&buf);
    out << "stillroom: room r-1 started\n"
        << "stillroom: cannot open audio/a.m4a: not a regular file\n";
    out << "part one, " << 42 << " and the end" << std::endl;
    out << std::string(3000, 'x') << "\n";
    std::string line;
    std::getline(sink, line);
    CHECK(line == "<6>stillroom: room r-1 started");
    std::getline(sink, line);
    CHECK(line == "<3>stillroom: cannot open audio/a.m4a: not a regular file");
    std::getline(sink, line);
    CHECK(line == "<6>part one, 42 and the end");
    std::getline(sink, line);
    CHECK(line.size() == 3 + 1000);
    struct Row {
        const char* line;
        int priority;
    };
    const Row rows[] = {
        {"tablet at http://x", 4}, {"mqtt: connection failed", 3}, {"journal error: disk full", 3}};
    for (const auto& r : rows) {
        CAPTURE(r.line);
        CHECK(journal_priority(r.line, 4) == r.priority);
    }
}

TEST_CASE("journald lines: at most `burst` lines per 10 s; the dropped ones are counted") {
    ManualDeviceClock clock;
    std::stringstream sink;
    JournalLineBuf buf(sink.rdbuf(), 4, clock, 3);
    std::ostream out(&buf);
    for (int i = 0; i < 10; ++i)
        out << "line " << i << "\n";
    CHECK(buf.dropped_total() == 7);
    clock.advance_by(Ms{9'999});
    out << "still in the window\n";
    CHECK(buf.dropped_total() == 8);
    clock.advance_by(Ms{1});
    out << "next window\n";
    std::string text = sink.str();
    CHECK(text == "<4>line 0\n<4>line 1\n<4>line 2\n"
                  "<4>next window (8 lines dropped before this one: rate limit)\n");
}
