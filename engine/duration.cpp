// Duration parsing and formatting.
#include "engine/duration.hpp"

#include <cmath>
#include <cstdio>

namespace stillroom {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

} // namespace

std::optional<Ms> duration_from_seconds(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return std::nullopt;
    const double ms = std::round(seconds * 1000.0);
    if (ms > static_cast<double>(Ms{kMaxDuration}.count())) return std::nullopt;
    return Ms{static_cast<Ms::rep>(ms)};
}

std::optional<Ms> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    // Each unit's rank: h=0, m=1, s=2, ms=3; units must appear in increasing rank.
    int last_rank = -1;
    double total_ms = 0;
    std::size_t i = 0;
    bool saw_fraction = false;
    while (i < text.size()) {
        if (saw_fraction) return std::nullopt; // a fraction only in the last part
        std::size_t start = i;
        while (i < text.size() && is_digit(text[i]))
            ++i;
        if (i == start || i - start > 9) return std::nullopt;
        double value = 0;
        for (std::size_t k = start; k < i; ++k)
            value = value * 10 + (text[k] - '0');
        if (i < text.size() && text[i] == '.') {
            ++i;
            std::size_t frac_start = i;
            double scale = 0.1;
            while (i < text.size() && is_digit(text[i])) {
                value += (text[i] - '0') * scale;
                scale /= 10;
                ++i;
            }
            if (i == frac_start) return std::nullopt;
            saw_fraction = true;
        }
        int rank;
        double unit_ms;
        if (text.substr(i, 2) == "ms") {
            rank = 3, unit_ms = 1, i += 2;
        } else if (i < text.size() && text[i] == 'h') {
            rank = 0, unit_ms = 3'600'000, ++i;
        } else if (i < text.size() && text[i] == 'm') {
            rank = 1, unit_ms = 60'000, ++i;
        } else if (i < text.size() && text[i] == 's') {
            rank = 2, unit_ms = 1000, ++i;
        } else {
            return std::nullopt; // a number without a unit, or an unknown unit
        }
        if (rank <= last_rank) return std::nullopt;
        last_rank = rank;
        total_ms += value * unit_ms;
    }
    if (total_ms > static_cast<double>(Ms{kMaxDuration}.count())) return std::nullopt;
    return Ms{static_cast<Ms::rep>(std::llround(total_ms))};
}

std::string format_duration(Ms d) {
    if (d < Ms{0}) return "-" + format_duration(-d);
    auto ms = d.count();
    if (ms == 0) return "0s";
    const auto h = ms / 3'600'000;
    ms %= 3'600'000;
    const auto m = ms / 60'000;
    ms %= 60'000;
    const auto s = ms / 1000;
    ms %= 1000;
    std::string out;
    if (h) out += std::to_string(h) + "h";
    if (m) out += std::to_string(m) + "m";
    if (s || (ms && (h || m))) {
        if (ms) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(s),
                          static_cast<long long>(ms));
            std::string t = buf;
            while (t.back() == '0')
                t.pop_back();
            out += t + "s";
        } else {
            out += std::to_string(s) + "s";
        }
    } else if (ms) {
        out += std::to_string(ms) + "ms";
    }
    return out;
}

std::string format_clock(Ms d) {
    const bool negative = d < Ms{0};
    long long total = (negative ? -d : d).count() / 1000;
    const long long h = total / 3600;
    const long long m = (total / 60) % 60;
    const long long s = total % 60;
    char buf[48];
    if (h) {
        std::snprintf(buf, sizeof buf, "%s%lld:%02lld:%02lld", negative ? "-" : "", h, m, s);
    } else {
        std::snprintf(buf, sizeof buf, "%s%lld:%02lld", negative ? "-" : "", m, s);
    }
    return buf;
}

std::optional<Ms> parse_time_argument(std::string_view text) {
    if (text.find(':') == std::string_view::npos) return parse_duration(text);
    // Clock style: up to three fields, each all digits; the last may have a fraction.
    std::int64_t fields[3] = {0, 0, 0};
    int count = 0;
    double fraction_ms = 0;
    std::size_t i = 0;
    while (true) {
        const std::size_t start = i;
        std::int64_t v = 0;
        while (i < text.size() && is_digit(text[i]) && i - start < 6)
            v = v * 10 + (text[i++] - '0');
        if (i == start || count == 3) return std::nullopt;
        fields[count++] = v;
        if (i == text.size()) break;
        if (text[i] == '.') {
            ++i;
            double scale = 100;
            const std::size_t frac_start = i;
            while (i < text.size() && is_digit(text[i]) && scale >= 1) {
                fraction_ms += (text[i++] - '0') * scale;
                scale /= 10;
            }
            if (i == frac_start || i != text.size()) return std::nullopt;
            break;
        }
        if (text[i] != ':') return std::nullopt;
        ++i;
    }
    if (count < 2) return std::nullopt;
    for (int k = 1; k < count; ++k)
        if (fields[k] >= 60) return std::nullopt;
    std::int64_t seconds = 0;
    for (int k = 0; k < count; ++k)
        seconds = seconds * 60 + fields[k];
    const Ms out{seconds * 1000 + static_cast<std::int64_t>(fraction_ms)};
    if (out > kMaxDuration) return std::nullopt;
    return out;
}

} // namespace stillroom
