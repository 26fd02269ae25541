// MIDI input mapping: the fader curve, soft takeover, notes to actions, bad messages.
#include "devices/midi.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace stillroom;

namespace {

struct MidiRecorder {
    std::vector<Command> commands;
    double volume = -20;
    double trim = 1.0;
    MidiActions actions() {
        MidiActions a;
        a.command = [this](const Command& c) {
            commands.push_back(c);
            if (c.kind == CommandKind::Volume) volume = std::min(c.db, -6.0);
        };
        a.volume_db = [this] { return volume; };
        a.set_brightness_trim = [this](double t) { trim = t; };
        a.brightness_trim = [this] { return trim; };
        a.max_volume_db = -6;
        return a;
    }
};

MidiConfig config() {
    MidiConfig c;
    MidiInputConfig in;
    in.port = "controller";
    in.map = {{0, std::nullopt, std::nullopt, "volume"},
              {1, std::nullopt, std::nullopt, "brightness"},
              {std::nullopt, 41, std::nullopt, "comfort"},
              {std::nullopt, 42, 2, "booster"}};
    c.inputs = {in};
    return c;
}

MidiMessage msg(std::uint8_t a, std::uint8_t b, std::uint8_t c) {
    return {{a, b, c}, 3, 0};
}

} // namespace

TEST_CASE("the volume fader curve") {
    CHECK(cc_to_volume_db(0, -6) == -90);
    CHECK(cc_to_volume_db(1, -6) == doctest::Approx(-60));
    CHECK(cc_to_volume_db(127, -6) == doctest::Approx(-6));
    for (int v = 1; v <= 127; ++v)
        CHECK(volume_db_to_cc(cc_to_volume_db(v, -6), -6) == v);
}

TEST_CASE("soft takeover: the fader only moves the room once it reaches the current value") {
    MidiRecorder rec;
    ManualDeviceClock clock;
    MidiDriver driver(config(), rec.actions(), clock);
    const int current = volume_db_to_cc(-20, -6);
    driver.handle(msg(0xB0, 0, 127)); // fader at the top: far from the room's -20 dB
    driver.handle(msg(0xB0, 0, 120));
    CHECK(rec.commands.empty());
    driver.handle(msg(0xB0, 0, static_cast<std::uint8_t>(current + 1))); // near: picks up
    REQUIRE(rec.commands.size() == 1);
    CHECK(rec.commands[0].db == doctest::Approx(cc_to_volume_db(current + 1, -6)));
    driver.handle(msg(0xB0, 0, 30));
    CHECK(rec.commands.size() == 2);
    // The tablet changes the volume: the fader must pick up again.
    rec.volume = -30;
    driver.handle(msg(0xB0, 0, 31));
    CHECK(rec.commands.size() == 2);
    // Crossing the current value counts as reaching it.
    const int now = volume_db_to_cc(-30, -6);
    driver.handle(msg(0xB0, 0, static_cast<std::uint8_t>(now - 10)));
    driver.handle(msg(0xB0, 0, static_cast<std::uint8_t>(now + 10)));
    CHECK(rec.commands.size() == 3);
}

TEST_CASE("brightness trim through its fader, with soft takeover") {
    MidiRecorder rec;
    ManualDeviceClock clock;
    MidiDriver driver(config(), rec.actions(), clock);
    driver.handle(msg(0xB0, 1, 10));
    CHECK(rec.trim == 1.0);
    driver.handle(msg(0xB0, 1, 126));
    CHECK(rec.trim == doctest::Approx(126 / 127.0));
    driver.handle(msg(0xB0, 1, 64));
    CHECK(rec.trim == doctest::Approx(64 / 127.0));
}

TEST_CASE("notes trigger session actions; channels filter") {
    MidiRecorder rec;
    ManualDeviceClock clock;
    MidiDriver driver(config(), rec.actions(), clock);
    driver.handle(msg(0x90, 41, 100));
    driver.handle(msg(0x90, 41, 0)); // note on with velocity 0 is a note off
    driver.handle(msg(0x80, 41, 64));
    REQUIRE(rec.commands.size() == 1);
    CHECK(rec.commands[0].kind == CommandKind::Comfort);
    driver.handle(msg(0x90, 42, 100)); // channel 1: the mapping wants channel 2
    CHECK(rec.commands.size() == 1);
    driver.handle(msg(0x91, 42, 100));
    REQUIRE(rec.commands.size() == 2);
    CHECK(rec.commands[1].kind == CommandKind::Dose);
    CHECK(rec.commands[1].booster);
}

TEST_CASE("malformed MIDI is ignored, never acted on") {
    MidiRecorder rec;
    ManualDeviceClock clock;
    MidiDriver driver(config(), rec.actions(), clock);
    driver.handle({{0x40, 41, 100}, 3, 0});       // no status byte
    driver.handle({{0x90, 41, 0}, 2, 0});         // too short
    driver.handle({{0x90, 0xC1, 100}, 3, 0});     // data byte with the top bit set
    driver.handle({{0xF0, 0x7F, 0x7F}, 0xFF, 0}); // too long (SysEx)
    driver.handle({{0x90, 41, 100}, 3, 7});       // an input that does not exist
    CHECK(rec.commands.empty());
    CHECK(driver.ignored() == 5);
}
