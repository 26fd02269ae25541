// Clinical record forms a template may name ("record": "spravato-rems"): which fields the
// session report fills and checks. One table (report_forms.cpp); add a form by adding a row.
#pragma once

#include "engine/json_reader.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace stillroom {

struct FormSpec {
    const char* id;
    const char* title;
    // Observation codes the form asks about; a template naming the form must offer them.
    std::vector<std::string> observations;
    // Fills the form from a report (everything but "form") and returns
    // {"id", "title", "complete", "fields": [{"key", "label", "status", "value"}], "missing":
    // [..]}.
    Json (*fill)(const FormSpec& spec, const Json& report);
};

// Whether a vitals[] or observations[] row of the report stands in the record (status
// final or amended, or no status): a reading corrected away no longer counts for flags and
// forms (docs/report.md "Corrections").
bool report_entry_counts(const Json& row);

// The form with this id, or nullptr.
const FormSpec* find_form(std::string_view id);
// Every form id, for error messages.
std::vector<std::string> form_ids();

} // namespace stillroom
