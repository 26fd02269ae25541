// The MIDI depth fader (docs/depth.md): 0..127 is depth 0..1, sent as the "level" form of
// the depth command, with soft takeover like the volume fader; a room.json that maps depth
// to a note is refused.
#include "devices/midi.hpp"
#include "library/room_config.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using namespace stillroom;

namespace {

struct DepthFaderRoom {
    std::vector<Command> commands;
    double depth = 0.5; // arc + trim now
    MidiActions actions() {
        MidiActions a;
        a.command = [this](const Command& c) {
            commands.push_back(c);
            if (c.kind == CommandKind::Depth) depth = c.depth;
        };
        a.depth = [this] { return depth; };
        return a;
    }
};

MidiConfig depth_fader_config() {
    MidiConfig c;
    MidiInputConfig in;
    in.port = "controller";
    in.map = {{7, std::nullopt, std::nullopt, "depth"}};
    c.inputs = {in};
    return c;
}

MidiMessage depth_cc(std::uint8_t value) {
    return {{0xB0, 7, value}, 3, 0};
}

} // namespace

TEST_CASE("MIDI depth fader: soft takeover, then 0..127 is depth 0..1 as a level") {
    DepthFaderRoom room;
    ManualDeviceClock clock;
    MidiDriver driver(depth_fader_config(), room.actions(), clock);
    // The depth is 0.5 (64 of 127): a fader at the bottom does nothing until it gets there.
    driver.handle(depth_cc(0));
    driver.handle(depth_cc(30));
    CHECK(room.commands.empty());
    driver.handle(depth_cc(64)); // reaches it: takes over
    REQUIRE(room.commands.size() == 1);
    CHECK(room.commands.back().kind == CommandKind::Depth);
    CHECK(room.commands.back().volume_how == VolumeHow::Level);
    CHECK(room.commands.back().depth == doctest::Approx(64 / 127.0));
    driver.handle(depth_cc(127));
    CHECK(room.commands.back().depth == doctest::Approx(1.0));
    // The therapist taps Lighter on the tablet: the fader lets go until it meets the depth.
    room.depth = 0.2;
    driver.handle(depth_cc(120));
    CHECK(room.commands.size() == 2);
    driver.handle(depth_cc(25)); // crosses 0.2 (25.4 of 127): engaged again
    CHECK(room.commands.size() == 3);
    CHECK(room.commands.back().depth == doctest::Approx(25 / 127.0));
}

TEST_CASE("MIDI depth fader: room.json takes it on a CC only") {
    struct Row {
        const char* entry;
        bool ok;
    };
    const Row rows[] = {{R"({"cc": 7, "action": "depth"})", true},
                        {R"({"note": 40, "action": "depth"})", false}};
    for (const auto& row : rows) {
        CAPTURE(row.entry);
        Problems problems("room.json");
        const Json room =
            Json::parse(std::string(R"({"room": "r", "midi": {"inputs": [{"port": "p", "map": [)") +
                        row.entry + "]}]}}");
        const auto config = load_room_config(room, problems);
        CHECK(config.has_value() == row.ok);
        if (!row.ok)
            CHECK(problems.to_string().find("\"depth\" needs a \"cc\"") != std::string::npos);
    }
}
