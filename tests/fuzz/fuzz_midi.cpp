// Fuzz target: incoming MIDI messages against a full input map.
#include "devices/midi.hpp"

#include <cstdint>

using namespace stillroom;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static double volume = -20, trim = 1;
    static MidiDriver* driver = [] {
        MidiConfig c;
        MidiInputConfig in;
        in.port = "fuzz";
        in.map = {{0, std::nullopt, std::nullopt, "volume"},
                  {1, std::nullopt, 3, "brightness"},
                  {std::nullopt, 41, std::nullopt, "comfort"},
                  {std::nullopt, 42, std::nullopt, "booster"},
                  {std::nullopt, 43, std::nullopt, "lights-down"}};
        c.inputs = {in};
        MidiActions a;
        a.command = [](const Command& cmd) {
            if (cmd.kind == CommandKind::Volume) volume = cmd.db;
        };
        a.volume_db = [] { return volume; };
        a.set_brightness_trim = [](double t) { trim = t; };
        a.brightness_trim = [] { return trim; };
        static ManualDeviceClock clock;
        return new MidiDriver(c, a, clock);
    }();
    for (std::size_t i = 0; i + 4 < size; i += 5) {
        MidiMessage m;
        m.bytes = {data[i], data[i + 1], data[i + 2]};
        m.size = data[i + 3] % 5 == 4 ? 0xFF : data[i + 3] % 4;
        m.input = data[i + 4] % 2;
        driver->handle(m);
    }
    return 0;
}
