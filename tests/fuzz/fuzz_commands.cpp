// Fuzz target: HTTP request bodies (and MQTT cmd payloads, which share the parser): every
// command's arguments and the start request. Accepted commands must round-trip.
#include "engine/commands.hpp"

#include <cstdint>
#include <cstdlib>

using namespace stillroom;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    Problems problems("request body");
    auto json = parse_json_text(text, problems);
    if (!json) return 0;
    if (data[0] % 14 == 13) {
        parse_start_request(*json, problems);
        return 0;
    }
    const auto kind = static_cast<CommandKind>(data[0] % 13);
    if (auto cmd = parse_command(kind, *json, problems)) {
        Problems again;
        auto back = parse_command(kind, command_args_json(*cmd), again);
        if (!back || !(*back == *cmd)) std::abort();
    }
    return 0;
}
