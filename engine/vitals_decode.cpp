// Vital-sign payload decoders. The byte layouts follow the Bluetooth SIG GATT Specification
// Supplement (Blood Pressure Measurement 3.31; PLX Continuous / Spot-Check Measurement and
// their Measurement Status and Device and Sensor Status fields) and IEEE 11073-20601 for the
// SFLOAT / FLOAT numbers (see docs/vitals.md for the tables and the test vectors).
#include "engine/vitals_decode.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <cmath>

namespace stillroom {

namespace {

constexpr std::size_t kMaxPayloadBytes = 4096;
constexpr double kMmHgPerKPa = 7.500615758;

double pow10i(int e) {
    double r = 1;
    for (int i = 0; i < (e < 0 ? -e : e); ++i)
        r *= 10;
    return e < 0 ? 1 / r : r;
}

// Little-endian reads that refuse to run past the end.
class ByteReader {
public:
    explicit ByteReader(const std::vector<std::uint8_t>& b) : b_(b) {}
    bool u8(std::uint8_t& out) {
        if (pos_ + 1 > b_.size()) return false;
        out = b_[pos_++];
        return true;
    }
    bool u16(std::uint16_t& out) {
        if (pos_ + 2 > b_.size()) return false;
        out = static_cast<std::uint16_t>(b_[pos_] | (b_[pos_ + 1] << 8));
        pos_ += 2;
        return true;
    }
    bool u24(std::uint32_t& out) {
        if (pos_ + 3 > b_.size()) return false;
        out = static_cast<std::uint32_t>(b_[pos_]) |
              (static_cast<std::uint32_t>(b_[pos_ + 1]) << 8) |
              (static_cast<std::uint32_t>(b_[pos_ + 2]) << 16);
        pos_ += 3;
        return true;
    }
    bool skip(std::size_t n) {
        if (pos_ + n > b_.size()) return false;
        pos_ += n;
        return true;
    }
    bool sfloat(MderValue& out) {
        std::uint16_t raw = 0;
        if (!u16(raw)) return false;
        out = decode_sfloat(raw);
        return true;
    }

private:
    const std::vector<std::uint8_t>& b_;
    std::size_t pos_ = 0;
};

const char* special_name(MderSpecial s) {
    switch (s) {
    case MderSpecial::NaN:
        return "NaN";
    case MderSpecial::NRes:
        return "NRes";
    case MderSpecial::PosInf:
        return "+INF";
    case MderSpecial::NegInf:
        return "-INF";
    case MderSpecial::Reserved:
        return "reserved";
    case MderSpecial::None:
        break;
    }
    return "";
}

// Puts a decoded value under `sign`, or a note when it is a special value.
void put(VitalsPayload& p, const char* sign, const MderValue& v, double scale = 1) {
    if (v.ok())
        p.values[sign] = v.value * scale;
    else
        p.notes.push_back(std::string(sign) + " is " + special_name(v.special));
}

bool fail(std::string* error, std::string why) {
    if (error) *error = std::move(why);
    return false;
}

void plx_status(VitalsPayload& p, std::optional<std::uint16_t> meas,
                std::optional<std::uint32_t> sensor) {
    if (sensor) {
        if (*sensor & kPlxSensorUnconnected) p.notes.push_back("sensor unconnected to user");
        if (*sensor & kPlxSensorDisconnected) p.notes.push_back("sensor disconnected");
        if (*sensor & kPlxSensorDisplaced) p.notes.push_back("sensor displaced");
        p.probe_off =
            (*sensor & (kPlxSensorUnconnected | kPlxSensorDisconnected | kPlxSensorDisplaced)) != 0;
    }
    bool invalid = p.probe_off;
    if (meas) {
        if (*meas & kPlxMeasurementUnavailable) p.notes.push_back("measurement unavailable");
        if (*meas & kPlxInvalidMeasurement) p.notes.push_back("invalid measurement");
        invalid = invalid || (*meas & (kPlxMeasurementUnavailable | kPlxInvalidMeasurement));
    }
    if (invalid) p.values.clear(); // a number from a probe off the finger is not a reading
}

std::optional<VitalsPayload> decode_plx(const std::vector<std::uint8_t>& bytes, bool spot,
                                        std::string* error) {
    ByteReader r(bytes);
    std::uint8_t flags = 0;
    VitalsPayload p;
    MderValue spo2, pr;
    if (!r.u8(flags) || !r.sfloat(spo2) || !r.sfloat(pr)) {
        fail(error, "too short for flags, SpO2 and pulse rate");
        return std::nullopt;
    }
    put(p, "spo2", spo2);
    put(p, "hr", pr);
    std::optional<std::uint16_t> meas;
    std::optional<std::uint32_t> sensor;
    auto truncated = [&](const char* field) {
        fail(error, std::string("the flags announce ") + field + " but the payload ends");
        return std::nullopt;
    };
    if (spot) {
        // Flags: bit0 Timestamp, bit1 Measurement Status, bit2 Device and Sensor Status,
        // bit3 Pulse Amplitude Index, bit4 Device Clock is Not Set.
        if ((flags & 0x01) && !r.skip(7)) return truncated("a time stamp");
        if (flags & 0x02) {
            std::uint16_t m = 0;
            if (!r.u16(m)) return truncated("the measurement status");
            meas = m;
        }
        if (flags & 0x04) {
            std::uint32_t s = 0;
            if (!r.u24(s)) return truncated("the device and sensor status");
            sensor = s;
        }
        if ((flags & 0x08) && !r.skip(2)) return truncated("a pulse amplitude index");
    } else {
        // Flags: bit0 SpO2PR-Fast, bit1 SpO2PR-Slow, bit2 Measurement Status, bit3 Device
        // and Sensor Status, bit4 Pulse Amplitude Index.
        if ((flags & 0x01) && !r.skip(4)) return truncated("SpO2PR-Fast");
        if ((flags & 0x02) && !r.skip(4)) return truncated("SpO2PR-Slow");
        if (flags & 0x04) {
            std::uint16_t m = 0;
            if (!r.u16(m)) return truncated("the measurement status");
            meas = m;
        }
        if (flags & 0x08) {
            std::uint32_t s = 0;
            if (!r.u24(s)) return truncated("the device and sensor status");
            sensor = s;
        }
        if ((flags & 0x10) && !r.skip(2)) return truncated("a pulse amplitude index");
    }
    plx_status(p, meas, sensor);
    return p;
}

std::optional<VitalsPayload> decode_bps(const std::vector<std::uint8_t>& bytes,
                                        std::string* error) {
    // Flags: bit0 units (0 mmHg, 1 kPa), bit1 Time Stamp, bit2 Pulse Rate, bit3 User ID,
    // bit4 Measurement Status. Then systolic, diastolic, MAP (SFLOAT each, always).
    ByteReader r(bytes);
    std::uint8_t flags = 0;
    MderValue sys, dia, map;
    if (!r.u8(flags) || !r.sfloat(sys) || !r.sfloat(dia) || !r.sfloat(map)) {
        fail(error, "too short for flags, systolic, diastolic and mean arterial pressure");
        return std::nullopt;
    }
    const double scale = (flags & 0x01) ? kMmHgPerKPa : 1.0;
    VitalsPayload p;
    put(p, "systolic", sys, scale);
    put(p, "diastolic", dia, scale);
    if ((flags & 0x02) && !r.skip(7)) {
        fail(error, "the flags announce a time stamp but the payload ends");
        return std::nullopt;
    }
    if (flags & 0x04) {
        MderValue pr;
        if (!r.sfloat(pr)) {
            fail(error, "the flags announce a pulse rate but the payload ends");
            return std::nullopt;
        }
        put(p, "hr", pr);
    }
    if ((flags & 0x08) && !r.skip(1)) {
        fail(error, "the flags announce a user id but the payload ends");
        return std::nullopt;
    }
    if (flags & 0x10) {
        std::uint16_t status = 0;
        if (!r.u16(status)) {
            fail(error, "the flags announce a measurement status but the payload ends");
            return std::nullopt;
        }
        // bit0 body movement, bit1 cuff too loose, bit2 irregular pulse, bits3-4 pulse rate
        // range, bit5 improper measurement position: the reading stands, the note says so.
        if (status & 0x0001) p.notes.push_back("body movement during measurement");
        if (status & 0x0002) p.notes.push_back("cuff too loose");
        if (status & 0x0004) p.notes.push_back("irregular pulse");
        if (status & 0x0020) p.notes.push_back("improper measurement position");
    }
    return p;
}

std::optional<double> parse_number_text(std::string_view s) {
    while (!s.empty() &&
           (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    if (s.empty() || s.size() > 32) return std::nullopt;
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

const nlohmann::json* at_dotted(const nlohmann::json& root, const std::string& path) {
    const nlohmann::json* cur = &root;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto dot = path.find('.', start);
        const std::string key =
            path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!cur->is_object()) return nullptr;
        auto it = cur->find(key);
        if (it == cur->end()) return nullptr;
        cur = &*it;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return cur;
}

} // namespace

MderValue decode_sfloat(std::uint16_t raw) {
    switch (raw) {
    case 0x07FF:
        return {0, MderSpecial::NaN};
    case 0x0800:
        return {0, MderSpecial::NRes};
    case 0x07FE:
        return {0, MderSpecial::PosInf};
    case 0x0802:
        return {0, MderSpecial::NegInf};
    case 0x0801:
        return {0, MderSpecial::Reserved};
    default:
        break;
    }
    int mantissa = raw & 0x0FFF;
    if (mantissa >= 0x0800) mantissa -= 0x1000;
    int exponent = (raw >> 12) & 0x0F;
    if (exponent >= 0x08) exponent -= 0x10;
    return {mantissa * pow10i(exponent), MderSpecial::None};
}

MderValue decode_float(std::uint32_t raw) {
    switch (raw) {
    case 0x007FFFFF:
        return {0, MderSpecial::NaN};
    case 0x00800000:
        return {0, MderSpecial::NRes};
    case 0x007FFFFE:
        return {0, MderSpecial::PosInf};
    case 0x00800002:
        return {0, MderSpecial::NegInf};
    case 0x00800001:
        return {0, MderSpecial::Reserved};
    default:
        break;
    }
    std::int32_t mantissa = static_cast<std::int32_t>(raw & 0x00FFFFFF);
    if (mantissa >= 0x00800000) mantissa -= 0x01000000;
    const auto exponent = static_cast<std::int8_t>(static_cast<std::uint8_t>(raw >> 24));
    return {mantissa * pow10i(exponent), MderSpecial::None};
}

std::optional<VitalsFormat> vitals_format_from_name(std::string_view name) {
    for (auto f : {VitalsFormat::JsonFields, VitalsFormat::Number, VitalsFormat::BlePlxContinuous,
                   VitalsFormat::BlePlxSpot, VitalsFormat::BleBps})
        if (name == vitals_format_name(f)) return f;
    return std::nullopt;
}

const char* vitals_format_name(VitalsFormat f) {
    switch (f) {
    case VitalsFormat::JsonFields:
        return "json";
    case VitalsFormat::Number:
        return "number";
    case VitalsFormat::BlePlxContinuous:
        return "ble-plx-continuous";
    case VitalsFormat::BlePlxSpot:
        return "ble-plx-spot";
    case VitalsFormat::BleBps:
        return "ble-bps";
    }
    return "json";
}

bool is_spot_format(VitalsFormat f) {
    return f == VitalsFormat::BlePlxSpot || f == VitalsFormat::BleBps;
}

bool is_vital_sign(std::string_view sign) {
    for (const char* s : kVitalSigns)
        if (sign == s) return true;
    return false;
}

std::optional<std::vector<std::uint8_t>> parse_hex_bytes(std::string_view text) {
    std::vector<std::uint8_t> out;
    int high = -1;
    for (char c : text) {
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        if (v < 0) {
            const bool separator =
                c == ' ' || c == ':' || c == '-' || c == '\n' || c == '\r' || c == '\t';
            if (!separator || high >= 0) return std::nullopt; // not hex, or half a byte
            continue;
        }
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(high * 16 + v));
            high = -1;
        }
    }
    if (high >= 0) return std::nullopt;
    return out;
}

std::optional<VitalsPayload> decode_vitals(VitalsFormat format, std::string_view payload,
                                           const VitalsMapping& mapping, std::string* error) {
    if (payload.size() > kMaxPayloadBytes) {
        fail(error, "payload longer than 4096 bytes");
        return std::nullopt;
    }
    switch (format) {
    case VitalsFormat::Number: {
        const auto v = parse_number_text(payload);
        if (!v) {
            fail(error, "expected one number");
            return std::nullopt;
        }
        VitalsPayload p;
        p.values[mapping.field] = *v;
        return p;
    }
    case VitalsFormat::JsonFields: {
        const auto root = nlohmann::json::parse(payload, nullptr, false);
        if (root.is_discarded() || !root.is_object()) {
            fail(error, "expected a JSON object");
            return std::nullopt;
        }
        VitalsPayload p;
        for (const auto& [sign, path] : mapping.fields) {
            const nlohmann::json* v = at_dotted(root, path);
            if (!v || v->is_null()) continue; // this message does not carry that sign
            if (v->is_number()) {
                const double d = v->get<double>();
                if (std::isfinite(d)) p.values[sign] = d;
            } else if (v->is_string()) {
                if (auto d = parse_number_text(v->get_ref<const std::string&>()))
                    p.values[sign] = *d;
                else
                    p.notes.push_back(sign + " is not a number");
            } else {
                p.notes.push_back(sign + " is not a number");
            }
        }
        if (p.values.empty()) {
            fail(error, "none of the configured fields holds a number");
            return std::nullopt;
        }
        return p;
    }
    case VitalsFormat::BlePlxContinuous:
    case VitalsFormat::BlePlxSpot:
    case VitalsFormat::BleBps: {
        const auto bytes = parse_hex_bytes(payload);
        if (!bytes) {
            fail(error, "expected the characteristic's bytes as hex text");
            return std::nullopt;
        }
        if (format == VitalsFormat::BleBps) return decode_bps(*bytes, error);
        return decode_plx(*bytes, format == VitalsFormat::BlePlxSpot, error);
    }
    }
    return std::nullopt;
}

} // namespace stillroom
