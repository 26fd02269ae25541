// Issue 25 items 7-10 on the production AudioUploads with a manual clock and a made-up free
// space: bounded checks inside the request, the whole decode in the background with a time
// budget, unfinished uploads that expire, are capped and are deleted at start-up, the disk
// reserve kept for the journal, files the running session uses, and which byte ranges of a
// file are satisfiable (RFC 9110 section 14.1.2).
#include "temp_dir.hpp"
#include "test_support.hpp"

#include "control/api_audio.hpp"
#include "control/audio_uploads.hpp"
#include "playlists/sndfile.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <vector>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

void write_bytes(const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
}

// A quiet square wave (or silence) written with libsndfile, as the bytes of the file.
std::string audio_bytes(const fs::path& scratch, AudioFormat format, int rate, double seconds,
                        bool silent = false) {
    std::string error;
    {
        auto f = SndFile::open_write(scratch, rate, 1, format, &error);
        REQUIRE(f);
        std::vector<float> buf(static_cast<std::size_t>(rate) * 60);
        for (std::size_t i = 0; i < buf.size(); ++i)
            buf[i] = silent ? 0.0f : (i / 20) % 2 ? 0.1f : -0.1f;
        auto left = static_cast<std::int64_t>(rate * seconds);
        while (left > 0) {
            const auto n = std::min<std::int64_t>(left, static_cast<std::int64_t>(buf.size()));
            REQUIRE(f->write(buf.data(), n) == n);
            left -= n;
        }
    }
    return read_bytes(scratch);
}

UploadChunk whole(const std::string& bytes) {
    return {0, bytes.size()};
}

} // namespace

TEST_CASE("satisfiable byte ranges (RFC 9110 14.1.2): every edge") {
    struct Row {
        const char* header;
        std::int64_t first, last; // as httplib splits it: -1 where absent
        std::uintmax_t size;
        std::vector<std::pair<std::uintmax_t, std::uintmax_t>> want;
    };
    const Row rows[] = {
        {"bytes=0-0 (the first byte)", 0, 0, 1000, {{0, 0}}},
        {"bytes=999-999 (the last byte)", 999, 999, 1000, {{999, 999}}},
        {"bytes=999- (from the last byte)", 999, -1, 1000, {{999, 999}}},
        {"bytes=0- (all)", 0, -1, 1000, {{0, 999}}},
        {"bytes=0-5000 (last-pos past the end is cut)", 0, 5000, 1000, {{0, 999}}},
        {"bytes=-1 (the last byte)", -1, 1, 1000, {{999, 999}}},
        {"bytes=-1000 (all, as a suffix)", -1, 1000, 1000, {{0, 999}}},
        {"bytes=-5000 (a suffix longer than the file)", -1, 5000, 1000, {{0, 999}}},
        {"bytes=-0 (an empty suffix)", -1, 0, 1000, {}},
        {"bytes=1000- (starts at the end)", 1000, -1, 1000, {}},
        {"bytes=1000-1000", 1000, 1000, 1000, {}},
        {"bytes=5000-6000 (past the end)", 5000, 6000, 1000, {}},
        {"bytes=500-400 (backwards)", 500, 400, 1000, {}},
        {"bytes=0- of an empty file", 0, -1, 0, {}},
        {"bytes=-5 of an empty file", -1, 5, 0, {}},
    };
    for (const auto& row : rows) {
        CAPTURE(row.header);
        const auto got = satisfiable_ranges({{row.first, row.last}}, row.size);
        REQUIRE(got.size() == row.want.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
            CHECK(got[i].first == row.want[i].first);
            CHECK(got[i].last == row.want[i].second);
        }
    }
    // Of several ranges, the satisfiable ones stay.
    const auto some = satisfiable_ranges({{5000, 6000}, {10, 19}, {-1, 0}}, 1000);
    REQUIRE(some.size() == 1);
    CHECK(some[0].first == 10);
    CHECK(some[0].last == 19);
}

TEST_CASE("uploads: length limit from the header, a bounded sample in the request, the whole "
          "decode in the background with a time budget") {
    TempDir dir;
    const fs::path lib = dir.path / "lib";
    fs::create_directories(lib / "audio");
    ManualDeviceClock clock;

    SUBCASE("a file longer than 3 h is refused from its header, never decoded") {
        AudioUploads uploads(lib, clock);
        // 4 h of silence at 1 kHz: a small FLAC (constant blocks) that decodes for long.
        const std::string bytes =
            audio_bytes(dir.path / "long.flac", AudioFormat::Flac16, 1000, 4 * 3600.0, true);
        CHECK(bytes.size() < (1u << 20));
        const auto r = uploads.receive("audio/long.flac", whole(bytes), bytes, false);
        CAPTURE(r.body.dump());
        CHECK(r.status == 422);
        CHECK(r.body["error"].get<std::string>().find("4:00:00 long") != std::string::npos);
        CHECK(r.body["error"].get<std::string>().find("at most 3:00:00") != std::string::npos);
        CHECK_FALSE(fs::exists(lib / "audio/long.flac"));
        CHECK(uploads.check_status("audio/long.flac").is_null()); // nothing queued either
    }
    SUBCASE("a file that ends early is refused by the sample of its end") {
        AudioUploads uploads(lib, clock);
        std::string bytes = audio_bytes(dir.path / "t.flac", AudioFormat::Flac16, 8000, 20.0);
        bytes.resize(bytes.size() / 2); // the STREAMINFO still says 20 s
        const auto r = uploads.receive("audio/cut.flac", whole(bytes), bytes, false);
        CAPTURE(r.body.dump());
        CHECK(r.status == 400);
        CHECK(r.body["error"].get<std::string>().find("ends early") != std::string::npos);
        CHECK_FALSE(fs::exists(lib / "audio/cut.flac"));
    }
    SUBCASE("a good file is saved at once; its whole decode follows in the background") {
        AudioUploads uploads(lib, clock);
        const std::string bytes = audio_bytes(dir.path / "t.flac", AudioFormat::Flac16, 8000, 30.0);
        const auto r = uploads.receive("audio/ok.flac", whole(bytes), bytes, false);
        CAPTURE(r.body.dump());
        REQUIRE(r.status == 201);
        CHECK(r.body["check"] == "pending");
        CHECK(read_bytes(lib / "audio/ok.flac") == bytes);
        uploads.wait_checks_idle();
        CHECK(uploads.check_status("audio/ok.flac") == "ok");
    }
    SUBCASE("the background decode stops at its time budget and says so") {
        UploadLimits limits;
        limits.check_budget = Ms{0};
        AudioUploads uploads(lib, clock, limits);
        const std::string bytes = audio_bytes(dir.path / "t.flac", AudioFormat::Flac16, 8000, 30.0);
        REQUIRE(uploads.receive("audio/slow.flac", whole(bytes), bytes, false).status == 201);
        uploads.wait_checks_idle();
        const Json check = uploads.check_status("audio/slow.flac");
        CAPTURE(check.dump());
        CHECK(check.get<std::string>().find("not decoded to the end within 0 s") !=
              std::string::npos);
    }
}

TEST_CASE("unfinished uploads: deleted at start-up, capped in total, expired, and never into the "
          "journal's reserve") {
    TempDir dir;
    const fs::path lib = dir.path / "lib";
    write_bytes(lib / "audio/.left.flac.upload.flac", std::string(1000, 'x')); // before a restart
    write_bytes(lib / "audio/sub/.old.wav.upload.wav", std::string(1000, 'x'));
    write_bytes(lib / "audio/keep.wav", "not a part");
    ManualDeviceClock clock;
    UploadLimits limits;
    limits.max_parts_total = (3u << 20) + (512u << 10);
    limits.part_lifetime = Ms{10 * 60'000};
    limits.reserve_bytes = 64u << 20;
    std::uintmax_t free_bytes = std::uintmax_t{10} << 30;
    AudioUploads uploads(lib, clock, limits, [&](const fs::path&) {
        return std::optional<std::uintmax_t>(free_bytes);
    });
    CHECK_FALSE(fs::exists(lib / "audio/.left.flac.upload.flac"));
    CHECK_FALSE(fs::exists(lib / "audio/sub/.old.wav.upload.wav"));
    CHECK(fs::exists(lib / "audio/keep.wav"));

    const std::string mib(1u << 20, 'a');
    auto first_chunk = [&](const std::string& name) {
        return uploads.receive("audio/" + name, {0, 10u << 20}, mib, false);
    };
    // Three abandoned uploads fill the cap; the fourth is refused, nothing written for it.
    for (const char* name : {"a.flac", "b.flac", "c.flac"})
        CHECK(first_chunk(name).status == 202);
    CHECK(uploads.parts_total() == 3u << 20);
    auto r = first_chunk("d.flac");
    CAPTURE(r.body.dump());
    CHECK(r.status == 507);
    CHECK(r.body["error"].get<std::string>().find("unfinished uploads already hold 3 MiB") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(lib / "audio/.d.flac.upload.flac"));
    // One keeps going (touched), the others are left: after 10 min they are gone.
    clock.advance_by(Ms{6 * 60'000});
    const std::string half(512u << 10, 'b');
    CHECK(uploads.receive("audio/a.flac", {1u << 20, 10u << 20}, half, false).status == 202);
    CHECK(uploads.parts_total() == limits.max_parts_total); // exactly at the cap is fine
    clock.advance_by(Ms{5 * 60'000});
    uploads.expire_parts();
    CHECK_FALSE(fs::exists(lib / "audio/.b.flac.upload.flac"));
    CHECK_FALSE(fs::exists(lib / "audio/.c.flac.upload.flac"));
    CHECK(fs::exists(lib / "audio/.a.flac.upload.flac"));
    CHECK(uploads.parts_total() == (1u << 20) + (512u << 10));
    r = uploads.receive("audio/b.flac", {1u << 20, 10u << 20}, mib, false); // expired: start over
    CHECK(r.status == 409);
    CHECK(r.body["next"] == 0);
    CHECK(first_chunk("d.flac").status == 202);
    // The disk nearly full: a chunk that would eat into the journal's reserve is refused.
    free_bytes = limits.reserve_bytes + (512u << 10);
    r = first_chunk("e.flac");
    CAPTURE(r.body.dump());
    CHECK(r.status == 507);
    CHECK(r.body["error"].get<std::string>().find("stay free for the session journal") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(lib / "audio/.e.flac.upload.flac"));
}

TEST_CASE("a file the running session uses is neither replaced nor deleted (409, with why)") {
    TempDir dir;
    const fs::path lib = dir.path / "lib";
    ManualDeviceClock clock;
    AudioUploads uploads(lib, clock);
    const std::string bytes = audio_bytes(dir.path / "t.wav", AudioFormat::Wav16, 8000, 1.0);
    REQUIRE(uploads.receive("audio/playing.wav", whole(bytes), bytes, false).status == 201);
    REQUIRE(uploads.receive("audio/other.wav", whole(bytes), bytes, false).status == 201);
    uploads.set_in_use([](const std::string& f) -> std::optional<std::string> {
        if (f == "audio/playing.wav") return "the running session plays it in playlist \"peak\"";
        return std::nullopt;
    });
    const std::string louder = audio_bytes(dir.path / "u.wav", AudioFormat::Wav16, 8000, 2.0);
    auto r = uploads.receive("audio/playing.wav", whole(louder), louder, true);
    CAPTURE(r.body.dump());
    CHECK(r.status == 409);
    CHECK(r.body["in_use"] == true);
    CHECK(r.body["error"].get<std::string>().find("cannot be replaced now: the running session "
                                                  "plays it in playlist \"peak\"") !=
          std::string::npos);
    CHECK(read_bytes(lib / "audio/playing.wav") == bytes);
    r = uploads.remove("audio/playing.wav");
    CHECK(r.status == 409);
    CHECK(r.body["error"].get<std::string>().find("cannot be deleted now") != std::string::npos);
    CHECK(fs::exists(lib / "audio/playing.wav"));
    // Files the session does not use: replaced and deleted as before.
    CHECK(uploads.receive("audio/other.wav", whole(louder), louder, true).status == 201);
    CHECK(uploads.remove("audio/other.wav").status == 200);
    CHECK_FALSE(fs::exists(lib / "audio/other.wav"));
    CHECK(uploads.remove("audio/other.wav").status == 404);
    CHECK(uploads.remove("../room.json").status == 400);
}

TEST_CASE("uploads: the room saves at most max_saves_per_second files; a last chunk beyond it "
          "gets 429 with retry_after and is sent again") {
    // Each save is an fsync that the session journal's fdatasync queues behind (bench_hostile:
    // 16 curators saving 270 files a second held a therapist tap for 200-290 ms).
    TempDir dir;
    const fs::path lib = dir.path / "lib";
    fs::create_directories(lib / "audio");
    ManualDeviceClock clock;
    UploadLimits limits;
    limits.max_saves_per_second = 2;
    AudioUploads uploads(lib, clock, limits);
    const std::string bytes = audio_bytes(dir.path / "t.wav", AudioFormat::Wav16, 8000, 1.0);
    REQUIRE(bytes.size() > 1000);
    struct Row {
        const char* file;
        double at_s; // device time since the start
        int status;
    };
    const Row rows[] = {
        {"audio/a.wav", 0, 201},   {"audio/b.wav", 0, 201}, // a burst of 2
        {"audio/c.wav", 0, 429},                            // the third in that second
        {"audio/c.wav", 0.4, 429},                          // not yet a whole token
        {"audio/c.wav", 0.5, 201},                          // 0.5 s at 2 a second: one
        {"audio/d.wav", 0.5, 429},
    };
    const DeviceTime start = clock.now();
    for (const auto& row : rows) {
        CAPTURE(row.file);
        CAPTURE(row.at_s);
        clock.advance_to(start + Ms{static_cast<Ms::rep>(row.at_s * 1000)});
        const auto r = uploads.receive(row.file, whole(bytes), bytes, false);
        CAPTURE(r.body.dump());
        CHECK(r.status == row.status);
        if (row.status == 429) {
            CHECK(r.body["retry_after"] == 1);
            CHECK(r.body["error"].get<std::string>().find("at most 2 uploaded files a second") !=
                  std::string::npos);
        }
        CHECK(fs::exists(lib / row.file) == (row.status == 201)); // (c's 429s come first)
    }
    // A file in chunks: the first chunks are taken whatever the rate; only its last one waits,
    // and the chunks already received stay (the last is sent again, not the whole file).
    clock.advance_to(start + Ms{600}); // 0.2 of a token
    const std::size_t half = bytes.size() / 2;
    const auto first =
        uploads.receive("audio/e.wav", {0, bytes.size()}, bytes.substr(0, half), false);
    CHECK(first.status == 202);
    const auto last =
        uploads.receive("audio/e.wav", {half, bytes.size()}, bytes.substr(half), false);
    CHECK(last.status == 429);
    CHECK_FALSE(fs::exists(lib / "audio/e.wav"));
    clock.advance_to(start + Ms{1100});
    const auto again =
        uploads.receive("audio/e.wav", {half, bytes.size()}, bytes.substr(half), false);
    CAPTURE(again.body.dump());
    CHECK(again.status == 201);
    CHECK(read_bytes(lib / "audio/e.wav") == bytes);
}
