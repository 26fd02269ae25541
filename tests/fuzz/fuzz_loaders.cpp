// Fuzz target: every JSON loader (template, playlist, scene, room.json). The first byte
// picks the loader; the rest is the file. Nothing may crash or throw.
#include "engine/template.hpp"
#include "library/room_config.hpp"
#include "playlists/playlist.hpp"
#include "scenes/scene.hpp"

#include <cstdint>
#include <string_view>

using namespace stillroom;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    Problems problems("fuzz.json");
    auto json = parse_json_text(text, problems);
    if (!json) return 0;
    LibraryRefs refs;
    refs.playlists = {"settle", "peak"};
    refs.scenes = {"deep"};
    refs.midi_outputs = {"desk"};
    refs.midi_configured = true;
    refs.file_readable = [](const std::string& f) { return f == "audio/chime.flac"; };
    const std::set<std::string> lights = {"ceiling", "strip"};
    switch (data[0] % 4) {
    case 0:
        load_template(*json, "fuzz", problems, &refs);
        break;
    case 1:
        load_playlist(*json, "fuzz", problems);
        break;
    case 2:
        load_scene(*json, "fuzz", problems, &lights);
        break;
    default:
        load_room_config(*json, problems);
        break;
    }
    for (const auto& p : problems.list())
        (void)p.to_string();
    return 0;
}
