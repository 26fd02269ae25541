// One journal line with its checksum: the record's JSON with `,"crc32":"xxxxxxxx"` appended
// as its last member, the CRC-32 (IEEE, as zlib) of the line without it. A flipped byte
// anywhere in the line, the checksum included, makes the line "damaged", never a different
// valid record.
#pragma once

#include "engine/json_reader.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace stillroom {

std::uint32_t crc32_ieee(std::string_view bytes);

// The line for a record (without the newline).
std::string encode_journal_line(const Json& record);

struct DecodedLine {
    enum class Kind { Ok, Legacy, Damaged } kind = Kind::Damaged;
    Json record; // Ok and Legacy (a line from before checksums: valid JSON, no crc32)
};
DecodedLine decode_journal_line(std::string_view line);

} // namespace stillroom
