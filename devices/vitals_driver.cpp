// The room's monitors on MQTT (see vitals_driver.hpp).
#include "devices/vitals_driver.hpp"

namespace stillroom {

namespace {
constexpr auto kLogEvery = std::chrono::seconds{60};
}

VitalsDriver::VitalsDriver(VitalsConfig config, MqttLink& mqtt, DeviceClock& clock, Sink sink,
                           std::ostream& log)
    : config_(std::move(config)), clock_(clock), sink_(std::move(sink)), log_(log) {
    for (std::size_t i = 0; i < config_.sources.size(); ++i) {
        by_topic_[config_.sources[i].topic] = i;
        mqtt.subscribe(config_.sources[i].topic, 0);
    }
    mqtt.on_message([this](const std::string& topic, const std::string& payload) {
        on_message(topic, payload);
    });
}

void VitalsDriver::on_message(const std::string& topic, const std::string& payload) {
    const auto it = by_topic_.find(topic);
    if (it == by_topic_.end()) return; // another part of the room's traffic
    const VitalsSourceConfig& src = config_.sources[it->second];
    std::string error;
    auto decoded = decode_vitals(src.format, payload, src.mapping, &error);
    if (decoded) {
        ++received_;
        sink_(src.id, std::move(*decoded), is_spot_format(src.format));
        return;
    }
    ++dropped_;
    // Rate-limited: a device sending garbage every second must not flood the log.
    std::lock_guard lock(log_mutex_);
    const DeviceTime now = clock_.now();
    auto last = last_logged_.find(src.id);
    if (last != last_logged_.end() && now - last->second < kLogEvery) {
        ++unlogged_[src.id];
        return;
    }
    const std::uint64_t more = unlogged_[src.id];
    unlogged_[src.id] = 0;
    last_logged_[src.id] = now;
    log_ << "stillroom: vitals: " << src.id << ": payload dropped ("
         << vitals_format_name(src.format) << ": " << error << ")";
    if (more) log_ << "; " << more << " more dropped since the last line";
    log_ << std::endl;
}

Json VitalsDriver::health() const {
    const auto received = received_.load();
    const auto dropped = dropped_.load();
    std::string detail = std::to_string(config_.sources.size()) + " source(s), " +
                         std::to_string(received) + " reading(s)";
    if (dropped) detail += ", " + std::to_string(dropped) + " bad payload(s) dropped";
    return {{"ok", true}, {"detail", detail}, {"received", received}, {"dropped", dropped}};
}

} // namespace stillroom
