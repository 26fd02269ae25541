// Fuzz target: durations and cue time expressions. Whatever parses must print back to
// the same value.
#include "engine/duration.hpp"
#include "engine/time_expr.hpp"

#include <cstdint>
#include <cstdlib>

using namespace stillroom;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto d = parse_duration(text)) {
        if (parse_duration(format_duration(*d)) != d) std::abort();
        (void)format_clock(*d);
    }
    std::string why;
    if (auto e = parse_time_expr(text, &why)) {
        if (parse_time_expr(e->to_string()) != e) std::abort();
    }
    return 0;
}
