// The session record for clinical notes (docs/report.md), built from one session's journal
// alone: no clock, no device, no HTTP library. build_report() gives the complete record as
// JSON (stable key names, report_version 1); CSV and HTML are views of that JSON.
#pragma once

#include "engine/journal.hpp"
#include "engine/json_reader.hpp"
#include "engine/template.hpp"

#include <string>
#include <vector>

namespace stillroom {

// A report time field in seconds (0 when it is absent or null).
inline double report_seconds(const Json& v) {
    return v.is_number() ? v.get<double>() : 0.0;
}

inline constexpr int kReportVersion = 1;

// The record. A journal with a torn tail is reported up to the tear (session.journal says so).
// A journal without a readable start record gives {"error": ...} and nothing else.
Json build_report(const JournalContents& journal);

// One row per event: t_s, since_dose_s, phase, kind, what, value, flags (RFC 4180 quoting).
std::string report_csv(const Json& report);

// The record as a FHIR R4 Bundle (type "collection"; docs/report.md "FHIR"); a report with
// "error" is returned as it is.
Json report_fhir(const Json& report);

// A printable page (inline CSS and SVG; nothing loaded from elsewhere).
std::string report_html(const Json& report);

// The summary a history list shows: id, label, template, date, duration, flags.
Json history_entry(const Json& report);

// Vital-sign readings beyond the alert thresholds ("systolic_high", "spo2_low", ...) for one
// reading given as JSON ({"systolic"?, "diastolic"?, "hr"?, "spo2"?}).
std::vector<std::string> report_vitals_flags(const Json& reading, const VitalsAlert& alert);

// A dose entry's structured fields as text ("75 mg IM"; "" without them).
std::string report_dose_fields(const Json& dose_entry);

// Seconds (3 decimals) as JSON, or null.
Json report_seconds(std::optional<Ms> t);

// The vitals monitor's journal events (engine/vitals_monitor.hpp) into the report: every
// alert episode with its acknowledgement (`alerts`) and one row per minute (`vitals_trend`).
// Returns false for any other event. (engine/report_vitals.cpp)
bool report_vitals_event(const Json& record, Ms t, Json& alerts, Json& trend);

// The template's monitoring clock in the report (`monitoring`; absent without one) and the
// `discharge_missing` flag's condition; `discharge` is the discharge record's row or null.
// Reads the standing vitals, so it runs after the corrections. (record/report_monitoring.cpp)
void report_monitoring(Json& report, const SessionTemplate& tmpl, const Json& discharge);

} // namespace stillroom
