// The record as a chart (docs/report.md "Corrections", "Sign-off", "Flags"): corrections
// of clinical entries (the original stays, marked; a corrected value or time stands beside
// it), the sign-off, and the room's outages from its resume records. A pass over the report
// JSON that build_report() has made, before the form is filled and the flags are set.
#pragma once

#include "engine/journal.hpp"
#include "engine/json_reader.hpp"
#include "engine/report_forms.hpp" // report_entry_counts

namespace stillroom {

// Adds `corrections`, `signed`, `outages` and each clinical row's `status` and
// `corrections`; appends the amended rows of wrong-value / wrong-time corrections.
void apply_chart(Json& report, const JournalContents& journal);

} // namespace stillroom
