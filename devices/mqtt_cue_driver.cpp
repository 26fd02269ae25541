// Template MQTT cues, published.
#include "devices/mqtt_cue_driver.hpp"

#include <iostream>

namespace stillroom {

void MqttCueDriver::apply(const Effect& effect, MonoTime) {
    const auto* m = std::get_if<PublishMqtt>(&effect.body);
    if (!m) return;
    if (mqtt_.publish(m->topic, m->payload, 1, m->retain)) {
        published_.fetch_add(1);
    } else {
        failed_.fetch_add(1);
        std::cerr << "stillroom: mqtt: cue for " << m->topic << " not published (no connection)"
                  << std::endl;
    }
}

Json MqttCueDriver::health() const {
    const auto failed = failed_.load();
    return {{"ok", failed == 0},
            {"anonymous", anonymous_},
            {"detail", std::to_string(published_.load()) + " cues published" +
                           (failed ? ", " + std::to_string(failed) + " not (no connection)" : "") +
                           (anonymous_ ? "; MQTT login: anonymous (no mqtt.username)" : "")}};
}

} // namespace stillroom
