// Plausible monitors for a demo or a test room (app/vitals_simulator.hpp).
#include "app/vitals_simulator.hpp"

#include "devices/mqtt_client.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

namespace stillroom::app {

namespace {

// IEEE 11073 SFLOAT of a whole or one-decimal number, as four hex digits little-endian.
std::string sfloat_hex(double v) {
    const bool whole = std::abs(v - std::round(v)) < 1e-9;
    const int mantissa = static_cast<int>(std::lround(whole ? v : v * 10)) & 0x0FFF;
    const int exponent = whole ? 0 : 0xF; // 10^0 or 10^-1
    const unsigned raw = static_cast<unsigned>((exponent << 12) | mantissa);
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02X%02X", raw & 0xFF, (raw >> 8) & 0xFF);
    return buf;
}

double spo2_at(double t_s, bool desaturate) {
    const double base = 97 + std::sin(t_s / 40) * 0.8;
    if (!desaturate || t_s < 20) return base;
    if (t_s < 40) return base - (base - 86) * (t_s - 20) / 20;
    if (t_s < 80) return 86 + std::sin(t_s) * 0.5;
    if (t_s < 100) return 86 + (base - 86) * (t_s - 80) / 20;
    return base;
}

std::string payload_for(const VitalsSourceConfig& s, double t_s, bool desaturate) {
    const double spo2 = std::round(spo2_at(t_s, desaturate));
    const double hr = std::round(68 + std::sin(t_s / 25) * 5 + (spo2 < 90 ? 12 : 0));
    switch (s.format) {
    case VitalsFormat::JsonFields: {
        // The configured dotted paths, as nested objects.
        Json j = Json::object();
        for (const auto& [sign, path] : s.mapping.fields) {
            Json* at = &j;
            std::size_t start = 0;
            for (auto dot = path.find('.'); dot != std::string::npos; dot = path.find('.', start)) {
                at = &(*at)[path.substr(start, dot - start)];
                start = dot + 1;
            }
            const double v = sign == "spo2"       ? spo2
                             : sign == "hr"       ? hr
                             : sign == "systolic" ? 124
                                                  : 78;
            (*at)[path.substr(start)] = v;
        }
        return j.dump();
    }
    case VitalsFormat::Number: {
        const std::string& f = s.mapping.field;
        const double v = f == "spo2" ? spo2 : f == "hr" ? hr : f == "systolic" ? 124 : 78;
        return std::to_string(static_cast<int>(v));
    }
    case VitalsFormat::BlePlxContinuous:
        // Flags 0x08: Device and Sensor Status present (all clear).
        return "08 " + sfloat_hex(spo2) + " " + sfloat_hex(hr) + " 000000";
    case VitalsFormat::BlePlxSpot:
        return "00 " + sfloat_hex(spo2) + " " + sfloat_hex(hr);
    case VitalsFormat::BleBps: {
        // Flags 0x04: mmHg, pulse rate present. Systolic, diastolic, mean arterial pressure.
        const double sys = std::round(122 + std::sin(t_s / 300) * 6);
        const double dia = std::round(78 + std::sin(t_s / 300) * 3);
        const double map = std::round(dia + (sys - dia) / 3);
        return "04 " + sfloat_hex(sys) + " " + sfloat_hex(dia) + " " + sfloat_hex(map) + " " +
               sfloat_hex(hr);
    }
    }
    return "";
}

} // namespace

bool run_vitals_simulator(const Library& lib, const VitalsSimulation& sim, DeviceClock& clock,
                          std::ostream& out) {
    if (!lib.room.mqtt || !lib.room.vitals) {
        out << "room.json needs \"mqtt\" and \"vitals\" sections\n";
        return false;
    }
    const long cuff_every = std::max(sim.cuff_every_s, 10L);
    std::string error;
    MqttOptions o = mqtt_options_from(*lib.room.mqtt, lib.dir.string(), &error);
    o.will_topic.clear();
    o.client_id = "stillroom-vitals-simulate";
    MqttClient mqtt(o, clock);
    if (!mqtt.start(&error)) {
        out << error << "\n";
        return false;
    }
    Wakeup own;
    Wakeup& stop = sim.wakeup ? *sim.wakeup : own;
    auto stopped = [&](const VitalsSimulation& v) { return v.stop && v.stop->load(); };
    for (int i = 0; i < 100 && !mqtt.connected() && !stopped(sim); ++i) // at most 10 s
        clock.wait_until(clock.now() + std::chrono::milliseconds{100}, stop);
    if (!mqtt.connected()) {
        out << "no connection to the broker\n";
        mqtt.stop();
        return false;
    }
    out << "publishing " << lib.room.vitals->sources.size() << " simulated monitor(s)"
        << (sim.desaturate ? " with a desaturation episode from 20 s" : "") << std::endl;
    const DeviceTime start = clock.now();
    // Session seconds between two publications: 1, or more at a speed above 20.
    const double speed = std::max(sim.speed, 1.0);
    const long step = std::max(1L, static_cast<long>(std::ceil(speed / 20)));
    for (long t = 0; (sim.seconds < 0 || t < sim.seconds) && !stopped(sim); t += step) {
        clock.wait_until(start + std::chrono::milliseconds{static_cast<std::int64_t>(
                                     static_cast<double>(t) * 1000 / speed)},
                         stop);
        if (stopped(sim)) break;
        for (const auto& s : lib.room.vitals->sources) {
            if (is_spot_format(s.format) && t / cuff_every == (t - step) / cuff_every && t != 0)
                continue; // the cuff: once in each cuff_every
            mqtt.publish(s.topic, payload_for(s, static_cast<double>(t), sim.desaturate), 0, false);
        }
    }
    mqtt.stop();
    return true;
}

} // namespace stillroom::app
