// Fuzz target: the vitals payload decoders. The first byte picks the format; the rest is the
// payload (as text, as a monitor's bridge would send it) and, for the BLE formats, also the
// raw bytes turned into hex. Whatever decodes must hold finite values and no probe-off
// reading.
#include "engine/vitals_decode.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>

using namespace stillroom;

namespace {

void check(const std::optional<VitalsPayload>& p) {
    if (!p) return;
    for (const auto& [sign, v] : p->values)
        if (!std::isfinite(v) || !is_vital_sign(sign)) std::abort();
    if (p->probe_off && !p->values.empty()) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    constexpr VitalsFormat kFormats[] = {VitalsFormat::JsonFields, VitalsFormat::Number,
                                         VitalsFormat::BlePlxContinuous, VitalsFormat::BlePlxSpot,
                                         VitalsFormat::BleBps};
    const VitalsFormat format = kFormats[data[0] % 5];
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    VitalsMapping m;
    m.fields = {{"spo2", "SpO2"}, {"hr", "pulse.bpm"}, {"systolic", "bp.sys"}};
    m.field = "hr";
    std::string error;
    check(decode_vitals(format, text, m, &error));
    if (format != VitalsFormat::JsonFields && format != VitalsFormat::Number) {
        static const char* kHex = "0123456789abcdef";
        std::string hex;
        for (std::size_t i = 1; i < size; ++i) {
            hex += kHex[data[i] >> 4];
            hex += kHex[data[i] & 15];
        }
        check(decode_vitals(format, hex, m, &error));
    }
    return 0;
}
