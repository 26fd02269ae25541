// Journal lines with a CRC-32.
#include "engine/journal_record.hpp"

#include <array>
#include <cstdio>

namespace stillroom {

namespace {

constexpr std::array<std::uint32_t, 256> make_table() {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
    return t;
}
constexpr auto kTable = make_table();
constexpr std::string_view kSuffix = ",\"crc32\":\""; // then 8 hex digits and "\"}"

std::string hex8(std::uint32_t v) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", v);
    return buf;
}

} // namespace

std::uint32_t crc32_ieee(std::string_view bytes) {
    std::uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : bytes)
        c = kTable[(c ^ b) & 0xFFu] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

std::string encode_journal_line(const Json& record) {
    std::string body = dump_json(record); // an object: ends with '}'
    const std::string crc = hex8(crc32_ieee(body));
    body.pop_back();
    if (body.size() > 1)
        body += kSuffix;
    else
        body += std::string(kSuffix.substr(1)); // "{}" -> {"crc32":...}
    return body + crc + "\"}";
}

DecodedLine decode_journal_line(std::string_view line) {
    DecodedLine out;
    const std::size_t tail = 8 + 2; // hex digits, quote, brace
    const auto at = line.size() >= kSuffix.size() + tail ? line.rfind(kSuffix.substr(1))
                                                         : std::string_view::npos;
    if (at == std::string_view::npos || at + kSuffix.size() - 1 + tail != line.size() ||
        line.substr(line.size() - 2) != "\"}") {
        // No checksum: a line from before checksums, or one whose checksum was damaged.
        Json j = parse_json_or_discarded(line);
        if (!j.is_discarded() && j.is_object() && !j.contains("crc32")) {
            out.kind = DecodedLine::Kind::Legacy;
            out.record = std::move(j);
        }
        return out;
    }
    const std::string_view hex = line.substr(at + kSuffix.size() - 1, 8);
    std::string body(line.substr(0, at));
    if (!body.empty() && body.back() == ',') body.pop_back();
    body += '}';
    if (hex != hex8(crc32_ieee(body))) return out;
    Json j = parse_json_or_discarded(body);
    if (j.is_discarded() || !j.is_object()) return out;
    out.kind = DecodedLine::Kind::Ok;
    out.record = std::move(j);
    return out;
}

} // namespace stillroom
