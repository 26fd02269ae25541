// Vital-sign payloads from the room's monitors, decoded: IEEE 11073-20601 SFLOAT/FLOAT, the
// Bluetooth SIG characteristics PLX Continuous Measurement (0x2A5F), PLX Spot-Check
// Measurement (0x2A5E) and Blood Pressure Measurement (0x2A35) as hex text, a JSON object
// with dotted paths, and a bare number. Pure functions: no I/O, no clock, never throw.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stillroom {

// An IEEE 11073 number: a value, or one of the reserved special values.
enum class MderSpecial { None, NaN, NRes, PosInf, NegInf, Reserved };

struct MderValue {
    double value = 0;
    MderSpecial special = MderSpecial::None;
    bool ok() const { return special == MderSpecial::None; }
};

// 16-bit SFLOAT: 4-bit signed exponent, 12-bit signed mantissa (value = m * 10^e).
// Specials: 0x07FF NaN, 0x0800 NRes, 0x07FE +INF, 0x0802 -INF, 0x0801 reserved.
MderValue decode_sfloat(std::uint16_t raw);
// 32-bit FLOAT: 8-bit signed exponent, 24-bit signed mantissa. Specials: 0x007FFFFF NaN,
// 0x00800000 NRes, 0x007FFFFE +INF, 0x00800002 -INF, 0x00800001 reserved.
MderValue decode_float(std::uint32_t raw);

// Which formats a room.json vitals source may name.
enum class VitalsFormat { JsonFields, Number, BlePlxContinuous, BlePlxSpot, BleBps };
std::optional<VitalsFormat> vitals_format_from_name(std::string_view name);
const char* vitals_format_name(VitalsFormat f);
// Spot formats give one measurement (a session.vitals entry); the others a live series.
bool is_spot_format(VitalsFormat f);

// The signs a source can carry.
inline constexpr const char* kVitalSigns[] = {"spo2", "hr", "systolic", "diastolic"};
bool is_vital_sign(std::string_view sign);

// One decoded payload. A sign whose value is a special (NaN, NRes, ...) or that the status
// marks invalid is absent from `values`.
struct VitalsPayload {
    std::map<std::string, double> values; // sign -> value (mmHg for pressures)
    bool probe_off = false;         // PLX: sensor unconnected to user / disconnected / displaced
    std::vector<std::string> notes; // what the status bits said ("measurement unavailable")
};

// PLX Device and Sensor Status bits (24 bits) that mean "no finger in the probe".
inline constexpr std::uint32_t kPlxSensorDisplaced = 1u << 13;
inline constexpr std::uint32_t kPlxSensorUnconnected = 1u << 11;
inline constexpr std::uint32_t kPlxSensorDisconnected = 1u << 15;
// PLX Measurement Status bits (16 bits) that make a value unusable.
inline constexpr std::uint16_t kPlxMeasurementUnavailable = 1u << 13;
inline constexpr std::uint16_t kPlxInvalidMeasurement = 1u << 15;

// How a json/number source maps to signs: json reads each sign at a dotted path
// ("pulse.bpm"); number gives its one sign.
struct VitalsMapping {
    std::map<std::string, std::string> fields; // sign -> dotted path (json)
    std::string field;                         // the sign (number)
};

// Decodes `payload` in `format`. On failure returns nullopt and says why in `error` (no
// part of the payload is quoted back: it may carry anything).
std::optional<VitalsPayload> decode_vitals(VitalsFormat format, std::string_view payload,
                                           const VitalsMapping& mapping, std::string* error);

// "0A 1B-2c:3D" -> bytes; whitespace, ':' and '-' between byte pairs are allowed.
std::optional<std::vector<std::uint8_t>> parse_hex_bytes(std::string_view text);

} // namespace stillroom
