// Finding 11 of issue 10: a track that fails is a media fault the room shows, journals and
// tries again later (30 s, doubling to 10 min), and Comfort's music comes back when its
// files do. The engine on its own, then the room with the production audio engine and real
// files on disk, removed and restored.
#include "fixtures.hpp"
#include "temp_dir.hpp"

#include "engine/journal.hpp"
#include "playlists/audio_engine.hpp"
#include "playlists/sndfile.hpp"
#include "record/report.hpp"
#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

Command track_failed(const std::string& file) {
    Command c = cmd(CommandKind::TrackFailed);
    c.file = file;
    return c;
}

bool plays(const Effects& effects, const std::string& file) {
    for (const auto& e : effects)
        if (const auto* p = std::get_if<PlayTrack>(&e.body); p && p->info.file == file) return true;
    return false;
}

} // namespace

TEST_CASE(
    "a failed file is tried again: 30 s after its first failure, doubling to at most 10 min") {
    Session s(setup_from(kThreeHourTemplate, three_hour_playlists()));
    s.start();
    const std::string file = "audio/settle-1.flac";
    Ms t = 1min;
    s.apply(track_failed(file), t);
    REQUIRE(s.media_faults().count(file) == 1);
    CHECK(s.media_faults().at(file).failures == 1);
    CHECK(s.media_faults().at(file).retry_at == t + 30s);
    const Ms expected_gaps[] = {30s, 60s, 120s, 240s, 480s, 600s, 600s, 600s};
    for (std::size_t round = 0; round < std::size(expected_gaps); ++round) {
        CAPTURE(round);
        const Ms due = *s.media_faults().at(file).retry_at;
        CHECK(due - t == expected_gaps[round]);
        s.advance_to(due - 1ms);
        CHECK(s.media_faults().at(file).retry_at == due); // still out
        Effects at = s.advance_to(due);
        CHECK_FALSE(s.media_faults().at(file).retry_at); // back on trial
        bool journaled = false;
        for (const auto& e : at)
            if (const auto* r = std::get_if<JournalRecord>(&e.body))
                journaled |= r->record.value("event", "") == "track_retry" &&
                             r->record.value("file", "") == file;
        CHECK(journaled);
        t = due + 1s;
        s.apply(track_failed(file), t); // and it fails again
    }
    CHECK(s.media_faults().at(file).failures == 9);
}

TEST_CASE(
    "Comfort whose only file failed is silent, and plays again when the file is tried again") {
    PlaylistCatalog playlists = three_hour_playlists();
    playlists["grounding"] = playlist("grounding", 10s, {5min});
    Session s(setup_from(kThreeHourTemplate, playlists));
    s.start();
    s.advance_to(2min);
    Outcome on = s.apply(cmd(CommandKind::Comfort), 2min);
    REQUIRE(plays(on.effects, "audio/grounding-1.flac"));
    Outcome failed = s.apply(track_failed("audio/grounding-1.flac"), 2min + 1s);
    CHECK(summarize(failed.effects) == std::vector<std::string>{"2:01 music fades out over 3s"});
    CHECK_FALSE(s.desired_state(2min + 2s).playing);
    // Nothing plays until the next try; then Comfort's track starts from its beginning.
    CHECK_FALSE(plays(s.advance_to(2min + 30s), "audio/grounding-1.flac"));
    Effects back = s.advance_to(2min + 31s);
    CHECK(plays(back, "audio/grounding-1.flac"));
    REQUIRE(s.desired_state(2min + 32s).playing);
    CHECK(s.desired_state(2min + 32s).playing->file == "audio/grounding-1.flac");
    // Comfort off: the phase's music resumes as before.
    Outcome off = s.apply(
        [] {
            Command c = cmd(CommandKind::Comfort);
            c.on = false;
            return c;
        }(),
        3min);
    CHECK(plays(off.effects, "audio/settle-1.flac"));
}

TEST_CASE(
    "a file that fails while Comfort plays comes back in the phase's playlist too, at its turn") {
    Session s(setup_from(kThreeHourTemplate, three_hour_playlists()));
    s.start();
    s.advance_to(1min);
    s.apply(track_failed("audio/settle-1.flac"), 1min); // settle is [1, 2]: 2 plays now
    s.apply(cmd(CommandKind::Comfort), 1min + 10s);
    s.advance_to(2min); // the retry happens while the phase's music waits
    CHECK_FALSE(s.media_faults().at("audio/settle-1.flac").retry_at);
    Command off = cmd(CommandKind::Comfort);
    off.on = false;
    s.apply(off, 3min);
    // settle-2 resumes where it was, then settle-1 is back in the loop.
    Effects later = s.advance_to(9min);
    CHECK(plays(later, "audio/settle-1.flac"));
}

namespace {

bool write_tone(const fs::path& path, double seconds) {
    fs::create_directories(path.parent_path());
    std::string error;
    auto f = SndFile::open_write(path, 48000, 2, AudioFormat::Wav16, &error);
    if (!f) return false;
    const auto frames = static_cast<std::int64_t>(seconds * 48000);
    std::vector<float> buf(static_cast<std::size_t>(frames * 2));
    for (std::int64_t i = 0; i < frames; ++i)
        buf[static_cast<std::size_t>(2 * i)] = buf[static_cast<std::size_t>(2 * i + 1)] =
            static_cast<float>(
                0.3 * std::sin(2 * 3.14159265358979 * 330 * static_cast<double>(i) / 48000));
    return f->write(buf.data(), frames) == frames;
}

// The production audio engine (real files, real mixer) as a room driver, run by hand: the
// decoder's and the maintenance thread's work happen in pump().
class FileAudio final : public RoomDriver {
public:
    explicit FileAudio(const fs::path& library)
        : mixer_(MixerConfig{}), audio_({library, 4, 1}, mixer_, nullptr) {}
    std::string name() const override { return "test-audio"; }
    void apply(const Effect& effect, MonoTime) override { audio_.handle(effect, mixer_.frame()); }
    void reconcile(const DesiredState&, MonoTime) override {}
    Json health() const override { return {{"ok", true}}; }
    // Renders `blocks` blocks; returns the files that failed and the loudest sample.
    std::vector<std::pair<std::string, std::string>> pump(int blocks, float* peak) {
        std::vector<float> out(512 * 2);
        *peak = 0;
        for (int b = 0; b < blocks; ++b) {
            audio_.service();
            mixer_.process(out.data(), 512);
            for (float x : out)
                *peak = std::max(*peak, std::fabs(x));
            audio_.collect();
        }
        return audio_.take_failures();
    }

private:
    Mixer mixer_;
    AudioEngine audio_;
};

Json device(const Json& state, const std::string& id) {
    for (const auto& d : state["devices"])
        if (d.value("id", "") == id) return d;
    return nullptr;
}

} // namespace

TEST_CASE("a real file removed mid-session: a media fault in state, journal and report; Comfort "
          "plays when it is back") {
    TempDir dir;
    const fs::path lib_dir = dir.path / "lib";
    fs::create_directories(lib_dir / "playlists");
    fs::create_directories(lib_dir / "sessions");
    REQUIRE(write_tone(lib_dir / "audio/base.wav", 3.0));
    REQUIRE(write_tone(lib_dir / "audio/ground.wav", 3.0));
    std::ofstream(lib_dir / "room.json") << R"({"room":"r"})";
    std::ofstream(lib_dir / "playlists/base.json")
        << R"({"crossfade":"1s","tracks":[{"file":"audio/base.wav"}]})";
    std::ofstream(lib_dir / "playlists/grounding.json")
        << R"({"crossfade":"1s","tracks":[{"file":"audio/ground.wav"}]})";
    std::ofstream(lib_dir / "sessions/s.json")
        << R"({"name":"S","phases":[{"id":"a","duration":"30m","playlist":"base","volume_db":-10,"fade":"0s"}],)"
           R"("comfort":{"playlist":"grounding","volume_offset_db":-3,"fade":"0s"}})";
    Problems problems;
    Library lib = load_library(lib_dir, problems);
    INFO(problems.to_string());
    REQUIRE_FALSE(problems.has_errors());

    ManualClock clock;
    Room room(std::move(lib), dir.path / "state", clock);
    FileAudio audio(lib_dir);
    room.add_driver(&audio);
    REQUIRE(room.start({"s", ""}).ok);
    const std::string id = room.state()["session"]["id"].get<std::string>();
    float peak = 0;
    CHECK(audio.pump(150, &peak).empty());
    CHECK(peak > 0.01f); // the base track plays
    CHECK(device(room.state(), "media")["ok"] == true);

    // The comfort file goes away (a USB disk unplugged, a sync tool mid-copy).
    fs::rename(lib_dir / "audio/ground.wav", dir.path / "ground.wav.away");
    clock.advance_by(60s);
    room.tick();
    REQUIRE(room.command(cmd(CommandKind::Comfort)).ok);
    auto failures = audio.pump(2, &peak);
    REQUIRE(failures.size() == 1);
    CHECK(failures.front().first == "audio/ground.wav");
    for (const auto& [file, why] : failures)
        room.command(track_failed(file)); // as room_services does
    Json state = room.state();
    CHECK(device(state, "media")["ok"] == false);
    CHECK(device(state, "media")["detail"].get<std::string>().find(
              "audio/ground.wav cannot be played") != std::string::npos);
    CHECK(state["session"]["now_playing"].is_null());
    clock.advance_by(1s);
    room.tick(); // journals the fault

    // Still away at the first try: out again, for longer.
    clock.advance_by(30s);
    room.tick();
    failures = audio.pump(2, &peak);
    REQUIRE(failures.size() == 1);
    for (const auto& [file, why] : failures)
        room.command(track_failed(file));
    CHECK(device(room.state(), "media")["files"][0]["failures"] == 2);
    CHECK(device(room.state(), "media")["files"][0]["retry_in_s"] == 60);

    // Back on disk: at the next try Comfort's music plays again.
    fs::rename(dir.path / "ground.wav.away", lib_dir / "audio/ground.wav");
    clock.advance_by(60s);
    room.tick();
    CHECK(audio.pump(150, &peak).empty());
    CHECK(peak > 0.01f); // and it is heard
    state = room.state();
    REQUIRE(state["session"]["now_playing"].is_object());
    CHECK(state["session"]["now_playing"]["file"] == "audio/ground.wav");
    CHECK(device(state, "media")["ok"] == true);
    clock.advance_by(1s);
    room.tick(); // journals the recovery

    const Json report = build_report(read_journal(journal_path(dir.path / "state", id)));
    bool media_fault = false;
    for (const auto& f : report["faults"])
        media_fault |= f.value("device", "") == "media" && f.value("ongoing", true) == false;
    CHECK(media_fault);
}
