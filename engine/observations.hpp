// Structured observations: the short fixed vocabulary a therapist marks during a session
// (template "observations"). Codes only, never free text.
#pragma once

#include <string>
#include <vector>

namespace stillroom {

// Offered when a template names none.
inline const std::vector<std::string>& default_observations() {
    static const std::vector<std::string> codes = {"nausea",       "vomiting", "anxiety",
                                                   "dissociation", "sedation", "respiratory",
                                                   "headache",     "dizziness"};
    return codes;
}

inline constexpr std::size_t kMaxObservationCodes = 24;

} // namespace stillroom
