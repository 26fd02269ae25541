// The device quirks table. Every row names its source; tests/unit/test_light_quirks.cpp has
// a test per row.
#include "library/light_quirks.hpp"

#include <cstring>

namespace stillroom {

namespace {

constexpr LightQuirk kQuirks[] = {
    {kQuirkOneTransition, Dialect::Zigbee2Mqtt, false, "IKEA",
     "transitions one attribute per command: when brightness and color_temp arrive together, Z2M "
     "sends two "
     "Zigbee commands and the second cancels the first's transition (the brightness jumps)",
     "color_temp only when it changes; a command carries brightness or color_temp, never both (the "
     "one "
     "further from its target first, the other in the next command); fade segments of at most 10 s",
     "Koenkk/zigbee2mqtt issues #341, #1810, #9782, #19186, #27214; "
     "Koenkk/zigbee-herdsman-converters "
     "PR #8637; https://www.zigbee2mqtt.io/devices/LED2003G10.html (\"IKEA lights only support "
     "transitions "
     "on 1 attribute at a time\")"},
    {kQuirkTasmotaSpeed2Once, Dialect::Tasmota, true, nullptr,
     "Speed2 is a one-shot speed consumed by the next light change; Backlog waits 200 ms between "
     "commands, "
     "so commands after the first change run without the fade",
     "Backlog0 (no delay): every change lands in the same light update, which Speed2 then fades as "
     "one",
     "https://tasmota.github.io/docs/Commands/ (Backlog0, Speed2); arendst/Tasmota PR #10730 "
     "(once-off "
     "Speed2/Fade2), PR #15954"},
    {kQuirkTasmotaPowerOnRestores, Dialect::Tasmota, true, nullptr,
     "Power ON on an off light restores its previous level at once; Dimmer alone turns the light "
     "on "
     "(SetOption20 0, the default) and fades up from black",
     "no Power ON when a Dimmer is sent; Power ON only for lights without brightness",
     "https://tasmota.github.io/docs/Commands/ (Dimmer, SetOption20); emontnemery/hatasmota "
     "light.py "
     "(sends Dimmer instead of Power when brightness is set)"},
    {kQuirkTasmotaSpeedIsRate, Dialect::Tasmota, true, nullptr,
     "Speed is a rate (half-seconds for a 0-100 % fade), so a small change over a long time runs "
     "fast",
     "SetOption117 1 (fade at a fixed duration) in the same Backlog0; Speed2 = seconds x 2, at "
     "most 40 (20 s)",
     "https://tasmota.github.io/docs/Commands/ (Speed, SetOption117); emontnemery/hatasmota "
     "light.py "
     "_calculate_speed"},
    {kQuirkWledCctWhiteOnly, Dialect::Wled, true, nullptr,
     "seg.cct sets the temperature of the white channel only; a segment whose colour is blue stays "
     "blue",
     "with cct, the segment's primary colour is set to white",
     "https://kno.wled.ge/interfaces/json-api/ (seg \"cct\", \"col\")"},
    {kQuirkWledCctRange, Dialect::Wled, true, nullptr,
     "seg.cct takes 0-255 (warm to cold) or kelvin 1900-10091; anything else is not a colour "
     "temperature",
     "kelvin clamped to the light's range and to 1900-10091",
     "https://kno.wled.ge/interfaces/json-api/ (seg \"cct\": \"also accepts Kelvin values "
     "1900-10091\")"},
};

} // namespace

std::span<const LightQuirk> light_quirks() {
    return kQuirks;
}

const LightQuirk* find_quirk(const std::string& id) {
    for (const auto& q : kQuirks)
        if (id == q.id) return &q;
    return nullptr;
}

std::string quirk_names(Dialect d) {
    std::string out;
    for (const auto& q : kQuirks) {
        if (q.dialect != d || q.always) continue;
        out += (out.empty() ? "" : ", ") + std::string(q.id);
    }
    return out.empty() ? "none" : out;
}

bool has_quirk(const LightConfig& light, const char* id) {
    const LightQuirk* q = find_quirk(id);
    if (!q || q->dialect != light.dialect) return false;
    if (q->always) return true;
    for (const auto& name : light.quirks)
        if (name == id) return true;
    return false;
}

std::vector<std::string> z2m_vendor_quirks(const std::string& vendor) {
    std::vector<std::string> out;
    for (const auto& q : kQuirks)
        if (q.dialect == Dialect::Zigbee2Mqtt && q.vendor && vendor == q.vendor)
            out.push_back(q.id);
    return out;
}

} // namespace stillroom
