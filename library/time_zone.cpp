// TZif reading (RFC 8536): the version 2+ (64-bit) data block when present, else version 1.
// After a file's last transition the last offset holds (Debian's "fat" zone files list
// transitions to 2037; the POSIX rule in the footer is not read).
#include "library/time_zone.hpp"

#include "engine/wall_clock.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace stillroom {

namespace {

constexpr const char* kZoneDir = "/usr/share/zoneinfo/";

struct Cursor {
    const std::string& bytes;
    std::size_t pos = 0;
    bool ok = true;
    std::int64_t be(std::size_t n) {
        if (pos + n > bytes.size()) {
            ok = false;
            return 0;
        }
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i)
            v = (v << 8) | static_cast<unsigned char>(bytes[pos + i]);
        pos += n;
        if (n == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
        return static_cast<std::int64_t>(v);
    }
    void skip(std::size_t n) {
        if (pos + n > bytes.size()) ok = false;
        pos = std::min(pos + n, bytes.size());
    }
};

struct Header {
    char version = 0;
    std::size_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
};

std::optional<Header> read_header(Cursor& c) {
    if (c.bytes.compare(c.pos, 4, "TZif") != 0) return std::nullopt;
    c.skip(4);
    Header h;
    h.version = c.pos < c.bytes.size() ? c.bytes[c.pos] : '\0';
    c.skip(16);
    h.isut = static_cast<std::size_t>(c.be(4));
    h.isstd = static_cast<std::size_t>(c.be(4));
    h.leap = static_cast<std::size_t>(c.be(4));
    h.time = static_cast<std::size_t>(c.be(4));
    h.type = static_cast<std::size_t>(c.be(4));
    h.chars = static_cast<std::size_t>(c.be(4));
    constexpr std::size_t kSane = 1'000'000; // a zone file has a few hundred of each
    if (!c.ok || h.type == 0 || h.time > kSane || h.type > 256 || h.chars > kSane ||
        h.leap > kSane || h.isut > 256 || h.isstd > 256)
        return std::nullopt;
    return h;
}

} // namespace

bool is_valid_zone_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || name.front() == '/' || name.find("..") != name.npos)
        return false;
    return std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               ch == '_' || ch == '-' || ch == '+' || ch == '/';
    });
}

std::optional<TimeZone> TimeZone::parse(const std::string& bytes, std::string name) {
    Cursor c{bytes};
    auto h = read_header(c);
    if (!h) return std::nullopt;
    std::size_t time_size = 4;
    if (h->version >= '2') { // skip the 32-bit block; read the 64-bit one
        c.skip(h->time * 5 + h->type * 6 + h->chars + h->leap * 8 + h->isstd + h->isut);
        h = read_header(c);
        if (!h) return std::nullopt;
        time_size = 8;
    }
    TimeZone z;
    z.name_ = std::move(name);
    std::vector<std::int64_t> times(h->time);
    for (auto& t : times)
        t = c.be(time_size);
    std::vector<std::size_t> index(h->time);
    for (auto& i : index)
        i = static_cast<std::size_t>(c.be(1));
    std::vector<int> offsets(h->type);
    for (auto& o : offsets) {
        o = static_cast<int>(c.be(4));
        c.skip(2); // isdst, designation index
    }
    if (!c.ok) return std::nullopt;
    for (std::size_t i = 0; i < times.size(); ++i) {
        if (index[i] >= offsets.size()) return std::nullopt;
        if (i > 0 && times[i] <= times[i - 1]) return std::nullopt;
        z.transitions_.push_back(times[i]);
        z.transition_offset_s_.push_back(offsets[index[i]]);
    }
    z.initial_offset_s_ = offsets.front(); // RFC 8536: type 0 before the first transition
    return z;
}

std::optional<TimeZone> TimeZone::load(const std::string& name, std::string* error) {
    if (!name.empty() && !is_valid_zone_name(name)) {
        if (error) *error = "expected an IANA time zone name such as \"Europe/Berlin\"";
        return std::nullopt;
    }
    const std::string path = name.empty() ? "/etc/localtime" : kZoneDir + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (error)
            *error = name.empty() ? "the system's time zone (" + path + ") cannot be read"
                                  : "unknown time zone \"" + name + "\" (no " + path + ")";
        return std::nullopt;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    auto z = parse(buf.str(), name.empty() ? "system" : name);
    if (!z && error) *error = path + " is not a time zone file";
    return z;
}

int TimeZone::offset_min(std::int64_t unix_ms) const {
    const std::int64_t s = unix_ms >= 0 ? unix_ms / 1000 : -((-unix_ms + 999) / 1000);
    const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), s);
    if (it == transitions_.begin()) return initial_offset_s_ / 60;
    return transition_offset_s_[static_cast<std::size_t>(it - transitions_.begin() - 1)] / 60;
}

std::string TimeZone::iso8601(std::int64_t unix_ms) const {
    return iso8601_at_offset(unix_ms, offset_min(unix_ms));
}

} // namespace stillroom
