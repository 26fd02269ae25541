// ISO 8601 clock times for the record.
#include "engine/wall_clock.hpp"

#include <chrono>
#include <cstdio>

namespace stillroom {

std::string iso8601_at_offset(std::int64_t unix_ms, int offset_min) {
    using namespace std::chrono;
    const sys_time<milliseconds> local{milliseconds{unix_ms} + minutes{offset_min}};
    const auto day = floor<days>(local);
    const year_month_day ymd{day};
    const hh_mm_ss hms{floor<seconds>(local - day)};
    const int off = offset_min < 0 ? -offset_min : offset_min;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d%c%02d:%02d",
                  static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                  offset_min < 0 ? '-' : '+', off / 60, off % 60);
    return buf;
}

std::optional<WallTime> parse_iso8601(const std::string& text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, oh = 0, om = 0;
    char sign = 0;
    int used = 0;
    if (text.size() == 20 && text.back() == 'Z') {
        if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &s,
                        &used) != 6 ||
            used != 20)
            return std::nullopt;
        sign = '+';
    } else if (text.size() == 25) {
        if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%2d:%2d%n", &y, &mo, &d, &h, &mi,
                        &s, &sign, &oh, &om, &used) != 9 ||
            used != 25 || (sign != '+' && sign != '-'))
            return std::nullopt;
    } else {
        return std::nullopt;
    }
    using namespace std::chrono;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || s > 60 || oh > 23 || om > 59) return std::nullopt;
    const int offset = (sign == '-' ? -1 : 1) * (oh * 60 + om);
    const auto local = sys_days{ymd}.time_since_epoch() + hours{h} + minutes{mi} + seconds{s};
    return WallTime{duration_cast<milliseconds>(local - minutes{offset}).count(), offset};
}

} // namespace stillroom
