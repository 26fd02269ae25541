// Human descriptions of effects.
#include "engine/effects.hpp"

#include "engine/duration.hpp"

#include <cstdio>

namespace stillroom {

namespace {

std::string db_text(double db) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f dB", db);
    return buf;
}

template <class... Ts> struct Overloaded : Ts... { using Ts::operator()...; };
template <class... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;

} // namespace

std::string describe(const EffectBody& body) {
    return std::visit(
        Overloaded{
            [](const PhaseStarted& e) { return "phase " + e.id + " (" + e.name + ")"; },
            [](const PlayTrack& e) {
                std::string s =
                    "play " + e.playlist + " #" + std::to_string(e.track + 1) + " " + e.info.file;
                if (e.position > Ms{0}) s += " from " + format_clock(e.position);
                return s + " (crossfade " + format_duration(e.crossfade) + ")";
            },
            [](const StopMusic& e) { return "music fades out over " + format_duration(e.fade); },
            [](const SetVolume& e) {
                return "volume " + db_text(e.db) + " over " + format_duration(e.ramp);
            },
            [](const SetDepth& e) {
                char buf[32];
                std::snprintf(buf, sizeof buf, "depth %.2f over ", e.depth);
                return buf + format_duration(e.ramp);
            },
            [](const PlaySound& e) { return "sound " + e.file + " at " + db_text(e.gain_db); },
            [](const SetScene& e) {
                return "scene " + e.scene + " over " + format_duration(e.fade);
            },
            [](const SendMidi& e) {
                std::string s = "midi " + e.output + ":";
                char buf[8];
                for (auto b : e.bytes) {
                    std::snprintf(buf, sizeof buf, " %02X", b);
                    s += buf;
                }
                return s;
            },
            [](const PublishMqtt& e) { return "mqtt " + e.topic + " " + e.payload; },
            [](const Reminder& e) {
                return "remind \"" + e.text + "\"" + (e.vitals ? " (vitals)" : "");
            },
            [](const JournalRecord& e) { return "journal " + dump_json(e.record); },
            [](const SessionFinished&) { return std::string("session finished"); },
        },
        body);
}

} // namespace stillroom
