// Fuzz target: M3U import. Paths point nowhere, so every entry is reported, never read.
#include "playlists/m3u.hpp"

#include <cstdint>

using namespace stillroom;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    M3uImport r =
        import_m3u(text, "/nonexistent/fuzz/lists", "/nonexistent/fuzz", "fuzz", "fuzz.m3u");
    (void)r.problems.to_string();
    return 0;
}
