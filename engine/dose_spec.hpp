// What a session template says about its dose and the time after it (sessions/NAME.json
// "dose" and "monitoring"; docs/report.md "Structured dose", docs/vitals.md "Monitoring
// clock"): the medication's code (RxNorm, SNOMED CT, ...), the structured fields the dose
// mark may carry (amount in mg, a route code from a fixed table; never free text) and how
// long the patient is monitored after the dose.
#pragma once

#include "engine/json_reader.hpp"
#include "engine/problems.hpp"
#include "engine/time.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stillroom {

// A coding of the medication: `system` a URI ("http://www.nlm.nih.gov/research/umls/rxnorm"),
// `code` its code ("6130"), `display` optional.
struct MedicationCode {
    std::string system, code, display;
};

// A route of administration the dose may name, with its SNOMED CT code (FHIR's
// route-codes value set, descendants of 284009009 "Route of administration value").
struct DoseRoute {
    const char* code;   // what the template, the tablet and the journal say: "IM"
    const char* snomed; // "78421000"
    const char* display;
};
// Every route a template may offer; nullptr for an unknown code.
const DoseRoute* find_dose_route(std::string_view code);
// "IM, IV, SL, IN, PO, SC" (for problems).
std::string dose_route_codes();

// "dose": {"fields": {"amount_mg": {"min", "max"}, "route": ["IM", ...]}}: which fields the
// dose mark may carry and their limits. Nothing declared: the dose mark carries none.
struct DoseFields {
    bool amount_mg = false; // declared
    double amount_min_mg = 0, amount_max_mg = 0;
    std::vector<std::string> routes; // empty: no route
};

struct DoseSpec {
    std::optional<MedicationCode> medication;
    DoseFields fields;
};

// Reads the template's "dose" object into `out`; problems name the path
// ("dose.fields.amount_mg.max").
void read_dose_spec(ObjectReader& dose, DoseSpec& out);

// Checks a dose mark's fields against the template's declaration: "" when they may be
// recorded, else the problem naming the field ("amount_mg: expected 0 to 200 mg, got 250").
std::string check_dose_values(const DoseFields& fields, const std::optional<double>& amount_mg,
                              const std::string& route);

// "monitoring": {"after_dose": "2h"}: the patient stays monitored this long after the dose;
// the tablet shows the time left and the discharge checklist.
struct MonitoringSpec {
    Ms after_dose{0};
};
void read_monitoring_spec(ObjectReader& monitoring, std::optional<MonitoringSpec>& out);

} // namespace stillroom
