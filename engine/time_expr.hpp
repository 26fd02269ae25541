// Cue times: "start+D", "dose+D", "phase:ID+D" (DESIGN.md, "Time expressions").
#pragma once

#include "engine/time.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace stillroom {

enum class AnchorKind { Start, Dose, Phase };

struct TimeExpr {
    AnchorKind anchor = AnchorKind::Start;
    std::string phase_id; // for AnchorKind::Phase
    Ms offset{0};

    bool operator==(const TimeExpr&) const = default;
    std::string to_string() const; // canonical form, e.g. "phase:peak+2m"
};

// Parses a time expression; on failure returns nullopt and sets *why (if given).
// Spaces around '+' are allowed; "dose" alone means "dose+0s".
std::optional<TimeExpr> parse_time_expr(std::string_view text, std::string* why = nullptr);

// True for ids made of letters, digits, '-' and '_' (phase, playlist, scene and light ids).
bool is_valid_id(std::string_view id);

} // namespace stillroom
