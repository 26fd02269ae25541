// Device quirks: what real lights do that their protocol does not promise, in one table,
// each with the source that documents it (STYLE.md habit 14). Some quirks hold for every
// device of a dialect (`always`); others are named per light in room.json ("quirks") and
// filled in by discovery from the device's vendor.
#pragma once

#include "library/room_config.hpp"

#include <span>
#include <string>
#include <vector>

namespace stillroom {

struct LightQuirk {
    const char* id;
    Dialect dialect;
    bool always;        // true: every device of the dialect; false: named per light
    const char* vendor; // Zigbee2MQTT definition.vendor that has it (discovery), or nullptr
    const char* what;   // what the device does
    const char* remedy; // what Stillroom sends because of it
    const char* source; // where it is documented
};

// Quirk ids used by the encoders.
inline constexpr const char* kQuirkOneTransition = "one-transition-attribute";
inline constexpr const char* kQuirkTasmotaSpeed2Once = "tasmota-speed2-once";
inline constexpr const char* kQuirkTasmotaPowerOnRestores = "tasmota-power-on-restores";
inline constexpr const char* kQuirkTasmotaSpeedIsRate = "tasmota-speed-is-rate";
inline constexpr const char* kQuirkWledCctWhiteOnly = "wled-cct-white-only";
inline constexpr const char* kQuirkWledCctRange = "wled-cct-range";

std::span<const LightQuirk> light_quirks();
const LightQuirk* find_quirk(const std::string& id);
// "a, b" of the per-light quirks of a dialect (for error messages).
std::string quirk_names(Dialect d);
// Whether a light has a quirk (an `always` quirk of its dialect, or one named in its config).
bool has_quirk(const LightConfig& light, const char* id);
// The per-light quirks a Zigbee2MQTT device of this vendor has.
std::vector<std::string> z2m_vendor_quirks(const std::string& vendor);

} // namespace stillroom
