// Vital-sign payload decoders against vectors written from the specifications: IEEE
// 11073-20601 SFLOAT/FLOAT (special values included) and the Bluetooth SIG GATT Specification
// Supplement layouts of PLX Continuous (0x2A5F), PLX Spot-Check (0x2A5E) and Blood Pressure
// Measurement (0x2A35). Bytes are little-endian; each vector spells out its fields.
#include "engine/vitals_decode.hpp"

#include <doctest/doctest.h>

using namespace stillroom;

TEST_CASE("SFLOAT: values and the five special values of IEEE 11073-20601") {
    struct Row {
        std::uint16_t raw;
        MderSpecial special;
        double value;
    };
    const Row rows[] = {
        {0x0062, MderSpecial::None, 98},    // e=0, m=98
        {0xF3CF, MderSpecial::None, 97.5},  // e=-1, m=975
        {0xE3E8, MderSpecial::None, 10.0},  // e=-2, m=1000
        {0x1078, MderSpecial::None, 1200},  // e=+1, m=120
        {0x0FFF, MderSpecial::None, -1},    // e=0, m=-1
        {0x0803, MderSpecial::None, -2045}, // e=0, m=-2045 (next to the reserved range)
        {0x17FF, MderSpecial::None, 20470}, // m=2047 but e=1: not NaN
        {0x0000, MderSpecial::None, 0},     //
        {0x07FF, MderSpecial::NaN, 0},      // NaN
        {0x0800, MderSpecial::NRes, 0},     // Not at this resolution
        {0x07FE, MderSpecial::PosInf, 0},   // +INFINITY
        {0x0802, MderSpecial::NegInf, 0},   // -INFINITY
        {0x0801, MderSpecial::Reserved, 0}, // reserved for future use
    };
    for (const auto& r : rows) {
        CAPTURE(r.raw);
        const MderValue v = decode_sfloat(r.raw);
        CHECK(v.special == r.special);
        if (r.special == MderSpecial::None) CHECK(v.value == doctest::Approx(r.value));
    }
}

TEST_CASE("FLOAT: values and the special values of IEEE 11073-20601") {
    struct Row {
        std::uint32_t raw;
        MderSpecial special;
        double value;
    };
    const Row rows[] = {
        {0xFF0003CF, MderSpecial::None, 97.5},  // e=-1, m=975
        {0x02000001, MderSpecial::None, 100},   // e=2, m=1
        {0x00FFFFFF, MderSpecial::None, -1},    // e=0, m=-1
        {0xFD0186A0, MderSpecial::None, 100},   // e=-3, m=100000
        {0x007FFFFF, MderSpecial::NaN, 0},      //
        {0x00800000, MderSpecial::NRes, 0},     //
        {0x007FFFFE, MderSpecial::PosInf, 0},   //
        {0x00800002, MderSpecial::NegInf, 0},   //
        {0x00800001, MderSpecial::Reserved, 0}, //
    };
    for (const auto& r : rows) {
        CAPTURE(r.raw);
        const MderValue v = decode_float(r.raw);
        CHECK(v.special == r.special);
        if (r.special == MderSpecial::None) CHECK(v.value == doctest::Approx(r.value));
    }
}

namespace {

struct Expect {
    using V = std::optional<double>;
    Expect(const char* hex_, V spo2_ = {}, V hr_ = {}, V systolic_ = {}, V diastolic_ = {},
           bool probe_off_ = false, bool ok_ = true)
        : hex(hex_), spo2(spo2_), hr(hr_), systolic(systolic_), diastolic(diastolic_),
          probe_off(probe_off_), ok(ok_) {}
    const char* hex;
    V spo2, hr, systolic, diastolic;
    bool probe_off;
    bool ok;
};

void check_rows(VitalsFormat format, const std::vector<Expect>& rows) {
    for (const auto& r : rows) {
        CAPTURE(r.hex);
        std::string error;
        const auto p = decode_vitals(format, r.hex, {}, &error);
        CAPTURE(error);
        REQUIRE(p.has_value() == r.ok);
        if (!p) {
            CHECK_FALSE(error.empty());
            continue;
        }
        auto value = [&](const char* sign) -> std::optional<double> {
            auto it = p->values.find(sign);
            return it == p->values.end() ? std::nullopt : std::optional<double>(it->second);
        };
        for (auto [sign, want] :
             {std::pair{"spo2", r.spo2}, std::pair{"hr", r.hr}, std::pair{"systolic", r.systolic},
              std::pair{"diastolic", r.diastolic}}) {
            CAPTURE(sign);
            REQUIRE(value(sign).has_value() == want.has_value());
            if (want) CHECK(*value(sign) == doctest::Approx(*want).epsilon(0.001));
        }
        CHECK(p->probe_off == r.probe_off);
    }
}

} // namespace

TEST_CASE("PLX Continuous Measurement 0x2A5F: flags, optional fields, sensor status") {
    // Flags bit0 SpO2PR-Fast, bit1 SpO2PR-Slow, bit2 Measurement Status (16 bits), bit3
    // Device and Sensor Status (24 bits), bit4 Pulse Amplitude Index. SpO2PR-Normal always.
    check_rows(VitalsFormat::BlePlxContinuous,
               {
                   {"00 6100 4800", 97, 72},                            // normal only
                   {"00:61:00:48:00", 97, 72},                          // colons
                   {"03 6100 4800 6000 4700 6200 4900", 97, 72},        // + fast + slow
                   {"1C 6100 4800 8000 000000 3200", 97, 72},           // status, PAI
                   {"08 6100 4800 000800", {}, {}, {}, {}, true},       // unconnected to user
                   {"08 6100 4800 008000", {}, {}, {}, {}, true},       // sensor disconnected
                   {"08 6100 4800 002000", {}, {}, {}, {}, true},       // sensor displaced
                   {"08 6100 4800 200000", 97, 72},                     // low perfusion only
                   {"04 6100 4800 0080", {}, {}},                       // invalid measurement
                   {"04 6100 4800 0020", {}, {}},                       // unavailable
                   {"00 FF07 4800", {}, 72},                            // SpO2 NaN
                   {"00 0008 FE07", {}, {}},                            // NRes, +INF
                   {"00 CF F3 4800", 97.5, 72},                         // SpO2 97.5 (e=-1)
                   {"08 6100 4800 0008", {}, {}, {}, {}, false, false}, // status cut short
                   {"01 6100 4800 6000", {}, {}, {}, {}, false, false}, // fast cut short
                   {"00 6100 48", {}, {}, {}, {}, false, false},        // pulse rate cut
                   {"", {}, {}, {}, {}, false, false},                  // nothing
                   {"0 6100 4800", {}, {}, {}, {}, false, false},       // half a byte
                   {"zz 6100 4800", {}, {}, {}, {}, false, false},      // not hex
               });
}

TEST_CASE("PLX Spot-Check Measurement 0x2A5E: time stamp, status fields") {
    // Flags bit0 Timestamp (7 bytes), bit1 Measurement Status, bit2 Device and Sensor
    // Status, bit3 Pulse Amplitude Index, bit4 Device Clock is Not Set.
    check_rows(VitalsFormat::BlePlxSpot,
               {
                   {"00 6000 4B00", 96, 75},
                   {"01 6000 4B00 EA07 0C 06 04 05 06", 96, 75},             // 2026-12-06 04:05:06
                   {"17 6000 4B00 EA07 0C 06 04 05 06 0001 000000", 96, 75}, // +status+clock
                   {"0E 6000 4B00 0000 000800 3200", {}, {}, {}, {}, true},  // probe off
                   {"01 6000 4B00 EA07 0C", {}, {}, {}, {}, false, false},   // stamp cut
               });
}

TEST_CASE("Blood Pressure Measurement 0x2A35: mmHg and kPa, optional fields, specials") {
    // Flags bit0 units (1 = kPa), bit1 Time Stamp, bit2 Pulse Rate, bit3 User ID, bit4
    // Measurement Status; systolic, diastolic, mean arterial pressure always (SFLOAT).
    check_rows(VitalsFormat::BleBps,
               {
                   {"00 7800 5000 5D00", {}, {}, 120, 80},
                   {"04 7800 5000 5D00 4800", {}, 72, 120, 80},
                   // kPa: 16.0 and 10.7 kPa (m=160, 107; e=-1) are 120.0 and 80.3 mmHg
                   {"01 A0F0 6BF0 7DF0", {}, {}, 120.01, 80.26},
                   // everything: time stamp, pulse 72, user 1, status "irregular pulse"
                   {"1E 7800 5000 5D00 EA07 0C 06 04 05 06 4800 01 0400", {}, 72, 120, 80},
                   {"00 0008 5000 5D00", {}, {}, {}, 80},                  // systolic NRes
                   {"04 7800 5000 5D00 FF07", {}, {}, 120, 80},            // pulse NaN
                   {"04 7800 5000 5D00", {}, {}, {}, {}, false, false},    // pulse announced
                   {"08 7800 5000 5D00", {}, {}, {}, {}, false, false},    // user id announced
                   {"10 7800 5000 5D00 04", {}, {}, {}, {}, false, false}, // status cut
                   {"00 7800 5000", {}, {}, {}, {}, false, false},         // no MAP
               });
}

TEST_CASE("json and number sources") {
    VitalsMapping m;
    m.fields = {{"spo2", "SpO2"}, {"hr", "pulse.bpm"}};
    std::string error;
    auto p = decode_vitals(VitalsFormat::JsonFields, R"({"SpO2": 95, "pulse": {"bpm": "64"}})", m,
                           &error);
    REQUIRE(p);
    CHECK(p->values.at("spo2") == 95);
    CHECK(p->values.at("hr") == 64);
    p = decode_vitals(VitalsFormat::JsonFields, R"({"SpO2": 95})", m, &error);
    REQUIRE(p);
    CHECK_FALSE(p->values.contains("hr"));
    for (const char* bad : {"[]", "95", "{\"SpO2\": \"high\"}", "{\"pulse\": 3}", "{", ""}) {
        CAPTURE(bad);
        CHECK_FALSE(decode_vitals(VitalsFormat::JsonFields, bad, m, &error));
    }
    VitalsMapping n;
    n.field = "hr";
    for (auto [text, want] : {std::pair{"72", 72.0}, std::pair{" 71.5\n", 71.5}}) {
        CAPTURE(text);
        p = decode_vitals(VitalsFormat::Number, text, n, &error);
        REQUIRE(p);
        CHECK(p->values.at("hr") == doctest::Approx(want));
    }
    // Home Assistant's state topics say "unavailable" / "unknown" when a sensor is gone.
    for (const char* bad : {"unavailable", "unknown", "", "nan", "inf", "72bpm", "1e999"}) {
        CAPTURE(bad);
        CHECK_FALSE(decode_vitals(VitalsFormat::Number, bad, n, &error));
    }
    CHECK_FALSE(decode_vitals(VitalsFormat::Number, std::string(5000, '1'), n, &error));
}

TEST_CASE("format names") {
    for (const char* name : {"json", "number", "ble-plx-continuous", "ble-plx-spot", "ble-bps"}) {
        CAPTURE(name);
        auto f = vitals_format_from_name(name);
        REQUIRE(f);
        CHECK(std::string(vitals_format_name(*f)) == name);
    }
    CHECK_FALSE(vitals_format_from_name("ble-glucose"));
    CHECK(is_spot_format(VitalsFormat::BleBps));
    CHECK(is_spot_format(VitalsFormat::BlePlxSpot));
    CHECK_FALSE(is_spot_format(VitalsFormat::BlePlxContinuous));
}
