// Parsing of cue time expressions.
#include "engine/time_expr.hpp"

#include "engine/duration.hpp"

namespace stillroom {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

} // namespace

bool is_valid_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::string TimeExpr::to_string() const {
    std::string out;
    switch (anchor) {
    case AnchorKind::Start:
        out = "start";
        break;
    case AnchorKind::Dose:
        out = "dose";
        break;
    case AnchorKind::Phase:
        out = "phase:" + phase_id;
        break;
    }
    return out + "+" + format_duration(offset);
}

std::optional<TimeExpr> parse_time_expr(std::string_view text, std::string* why) {
    auto fail = [&](std::string reason) -> std::optional<TimeExpr> {
        if (why) *why = std::move(reason);
        return std::nullopt;
    };
    text = trim(text);
    std::string_view anchor_text = text;
    std::string_view offset_text;
    if (auto plus = text.find('+'); plus != std::string_view::npos) {
        anchor_text = trim(text.substr(0, plus));
        offset_text = trim(text.substr(plus + 1));
        if (offset_text.empty()) return fail("nothing after '+'");
    } else if (text.find('-', text.find(':') == std::string_view::npos ? 0 : text.size()) !=
               std::string_view::npos) {
        return fail("offsets are added with '+'; a cue cannot come before its anchor");
    }
    TimeExpr expr;
    if (anchor_text == "start") {
        expr.anchor = AnchorKind::Start;
    } else if (anchor_text == "dose") {
        expr.anchor = AnchorKind::Dose;
    } else if (anchor_text.substr(0, 6) == "phase:") {
        expr.anchor = AnchorKind::Phase;
        expr.phase_id = std::string(anchor_text.substr(6));
        if (!is_valid_id(expr.phase_id)) return fail("\"phase:\" must be followed by a phase id");
    } else {
        return fail("the anchor must be start, dose or phase:ID");
    }
    if (!offset_text.empty()) {
        auto d = parse_duration(offset_text);
        if (!d) return fail("\"" + std::string(offset_text) + "\" is not a duration like \"15m\"");
        expr.offset = *d;
    }
    return expr;
}

} // namespace stillroom
