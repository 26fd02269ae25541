// PortAudio through a real JACK server (dummy driver): the room plays; the server is killed
// mid-playback and brought back; playback resumes and the engine never stops.
#include "../unit/temp_dir.hpp"
#include "helpers.hpp"
#include "jack_probe.hpp"
#include "jack_server.hpp"

#include "devices/audio_driver.hpp"
#include "playlists/sndfile.hpp"
#include "runtime/room.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>
#include <unistd.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

void make_jack_library(const fs::path& dir) {
    std::string error;
    fs::create_directories(dir / "audio");
    auto f = SndFile::open_write(dir / "audio/tone.flac", 48000, 2, AudioFormat::Flac16, &error);
    REQUIRE(f);
    std::vector<float> buf(48000 * 2 * 60);
    for (std::size_t i = 0; i < buf.size() / 2; ++i)
        buf[2 * i] = buf[2 * i + 1] =
            0.3f *
            static_cast<float>(std::sin(2 * 3.14159265 * 330.0 * static_cast<double>(i) / 48000));
    f->write(buf.data(), static_cast<std::int64_t>(buf.size() / 2));
    f.reset();
    write_text(dir / "room.json",
               R"({"room":"jack-test","audio":{"device":"default","sample_rate":48000,
        "buffer_frames":512,"outputs":[{"id":"room","channels":[1,2]}],"max_volume_db":0}})");
    write_text(dir / "playlists/tone.json",
               R"({"crossfade":"2s","tracks":[{"file":"audio/tone.flac"}]})");
    write_text(
        dir / "sessions/t.json",
        R"({"name":"T","phases":[{"id":"play","duration":"30m","playlist":"tone","volume_db":-6,"fade":"0s"}]})");
}

} // namespace

TEST_CASE("PortAudio plays through JACK; the JACK server dies and returns; playback resumes") {
    const std::string server = jack_test_server_name("stillroom-test-audio");
    use_jack_server(server);
    JackServer jack(server);
    REQUIRE_MESSAGE(jack.start(), jack.error());

    TempDir dir;
    make_jack_library(dir.path);
    Problems problems;
    Library lib = load_library(dir.path, problems);
    INFO(problems.to_string());
    REQUIRE(lib.templates.count("t") == 1);
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    Room room(lib, dir.path / "state", clock);
    AudioDriverOptions options;
    options.library_dir = dir.path;
    options.config = *lib.room.audio;
    options.sink_executable = STILLROOM_AUDIO_SINK;
    AudioDriver audio(options, clock, device_clock, [&] { return room.desired_now(); }, {});
    audio.start();
    room.add_driver(&audio);
    REQUIRE(audio.device_open());
    CHECK(audio.health()["detail"].get<std::string>().find("JACK") != std::string::npos);

    std::atomic<bool> stop{false};
    std::thread engine([&] { room.run(stop); });
    REQUIRE(room.start({"t", ""}).ok);

    {
        JackProbe probe(server);
        REQUIRE(probe.ok());
        REQUIRE(eventually([&] { return probe.connect_from("PortAudio") >= 1; }, 30));
        CHECK(eventually([&] { return probe.audible() > 48000; }, 50));
        CHECK(probe.peak() > 0.05f);
        CHECK(probe.peak() < 0.9f);
    }
    const auto before_kill = room.session_time();
    REQUIRE(before_kill);

    jack.kill_hard();
    CHECK(eventually([&] { return !audio.device_open(); }, 50));
    CHECK(eventually([&] { return !audio.health()["ok"].get<bool>(); }, 30));
    // The engine never stopped: the session clock runs on and the state answers.
    CHECK(eventually([&] { return *room.session_time() > *before_kill + Ms{300}; }, 50));
    CHECK(room.state()["session"]["status"] == "running");

    REQUIRE_MESSAGE(jack.start(), jack.error());
    CHECK(eventually([&] { return audio.device_open(); }, 200));
    CHECK(audio.health()["ok"].get<bool>());
    {
        JackProbe probe(server);
        REQUIRE(probe.ok());
        REQUIRE(eventually([&] { return probe.connect_from("PortAudio") >= 1; }, 30));
        CHECK(eventually([&] { return probe.audible() > 48000; }, 50));
    }
    CHECK(room.state()["session"]["now_playing"]["file"] == "audio/tone.flac");

    stop = true;
    room.wake();
    engine.join();
    audio.stop();
}
