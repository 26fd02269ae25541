// MIDI through RtMidi virtual ports on a real JACK server (dummy driver): a CC moves the
// volume with soft takeover; a note triggers comfort; an MSC GO goes out on a cue.
#include "../unit/temp_dir.hpp"
#include "helpers.hpp"
#include "jack_server.hpp"

#include "services.hpp"

#include <rtmidi/RtMidi.h>

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <unistd.h>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

std::mutex g_mutex;
std::vector<std::vector<unsigned char>> g_received;

void on_desk(double, std::vector<unsigned char>* m, void*) {
    std::lock_guard lock(g_mutex);
    g_received.push_back(*m);
}

} // namespace

TEST_CASE("MIDI through JACK: fader with soft takeover, note to comfort, MSC GO on a cue") {
    const std::string server = jack_test_server_name("stillroom-test-midi");
    use_jack_server(server);
    JackServer jack(server);
    REQUIRE_MESSAGE(jack.start(), jack.error());

    // The room's gear, as virtual ports: a controller that sends, a desk that listens.
    RtMidiOut controller(RtMidi::UNIX_JACK, "test-gear");
    controller.openVirtualPort("nanoKONTROL");
    RtMidiIn desk(RtMidi::UNIX_JACK, "test-desk");
    desk.ignoreTypes(false, true, true);
    desk.setCallback(&on_desk, nullptr);
    desk.openVirtualPort("Desk");

    TempDir dir;
    write_text(dir.path / "room.json", R"({"room":"midi-test",
      "midi":{"inputs":[{"port":"nanoKONTROL","map":[{"cc":0,"action":"volume"},{"note":41,"action":"comfort"},
                                                   {"note":42,"action":"hold"},{"note":43,"action":"resume"}]}],
              "outputs":[{"id":"desk","port":"Desk"}]}})");
    write_text(dir.path / "sessions/s.json",
               R"({"name":"S","phases":[{"id":"one","duration":"1h","volume_db":-20,"fade":"0s"}],
      "cues":[{"at":"start+3s","midi":{"output":"desk","bytes":[240,127,127,2,1,1,49,247]}}]})");
    Problems problems;
    Library lib = load_library(dir.path, problems);
    INFO(problems.to_string());
    REQUIRE(lib.templates.count("s") == 1);
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    const RoomServicesOptions options = test_room_options(dir.path / "state");
    RoomServices services(std::move(lib), options, clock, device_clock);
    services.start();
    REQUIRE(eventually([&] { return services.midi()->health()["ok"].get<bool>(); }, 60));
    REQUIRE(services.room().start({"s", ""}).ok);

    auto volume = [&] {
        return services.room().state()["session"]["volume_target_db"].get<double>();
    };
    auto held = [&] { return services.room().state()["session"]["held"] == true; };
    auto send = [&](std::vector<unsigned char> m) { controller.sendMessage(&m); };
    // A marker: hold (then resume) after the messages under test. MIDI on one port arrives
    // in order, so once the room is held every message before it has been handled.
    auto flush = [&] {
        const bool was = held();
        send({0x90, static_cast<unsigned char>(was ? 43 : 42), 100});
        REQUIRE(eventually([&] { return held() != was; }, 20));
    };
    // The fader starts at the top: the room must not jump from -20 dB.
    send({0xB0, 0, 127});
    send({0xB0, 0, 110});
    flush();
    CHECK(volume() == doctest::Approx(-20.0));
    // Down through the room's level: it picks up, then follows.
    const int here = volume_db_to_cc(-20, -6);
    send({0xB0, 0, static_cast<unsigned char>(here + 3)});
    send({0xB0, 0, static_cast<unsigned char>(here - 3)});
    CHECK(
        eventually([&] { return std::fabs(volume() - cc_to_volume_db(here - 3, -6)) < 0.01; }, 20));
    // A note triggers comfort.
    send({0x90, 41, 100});
    CHECK(eventually([&] { return services.room().state()["session"]["comfort"] == true; }, 20));
    // A garbled message (a note-on without its velocity) is ignored, counted, and changes nothing.
    const auto ignored_before = services.midi()->health()["ignored"].get<long>();
    const Json before = services.room().state()["session"];
    send({0x90, 41});
    flush();
    CHECK(services.midi()->health()["ignored"].get<long>() == ignored_before + 1);
    const Json after = services.room().state()["session"];
    CHECK(after["comfort"] == before["comfort"]);
    CHECK(after["volume_target_db"] == before["volume_target_db"]);
    CHECK(after["phase"]["id"] == before["phase"]["id"]);
    // The cue at start+3s sends MIDI Show Control GO to the desk.
    CHECK(eventually(
        [&] {
            std::lock_guard lock(g_mutex);
            for (const auto& m : g_received)
                if (m == std::vector<unsigned char>{240, 127, 127, 2, 1, 1, 49, 247}) return true;
            return false;
        },
        60));
    services.stop();
}
