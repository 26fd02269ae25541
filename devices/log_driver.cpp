// Narrating effects.
#include "devices/log_driver.hpp"

#include "engine/duration.hpp"

namespace stillroom {

void LogDriver::apply(const Effect& effect, MonoTime) {
    if (std::holds_alternative<JournalRecord>(effect.body)) return;
    std::lock_guard lock(mutex_);
    out_ << "[" << format_clock(effect.at) << "] " << describe(effect.body) << std::endl;
}

void LogDriver::reconcile(const DesiredState& state, MonoTime) {
    std::lock_guard lock(mutex_);
    out_ << "[" << format_clock(state.t) << "] resumed in phase " << state.phase_id;
    if (state.playing)
        out_ << ", playing " << state.playing->file << " at "
             << format_clock(state.playing->position);
    if (!state.scene.empty()) out_ << ", scene " << state.scene;
    out_ << std::endl;
}

} // namespace stillroom
