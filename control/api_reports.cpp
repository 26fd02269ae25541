// Replies for the history and report endpoints.
#include "control/api_reports.hpp"

#include "record/report.hpp"
#include "record/report_store.hpp"

namespace stillroom {

namespace {

ReportReply json_error(int status, const std::string& message) {
    return {status, "application/json", dump_json(Json{{"error", message}}), ""};
}

} // namespace

ReportReply report_reply(const std::filesystem::path& state_dir, const std::string& id,
                         const std::string& format) {
    if (!is_valid_session_id(id))
        return json_error(400, "not a session id: letters, digits and '-' only");
    if (format != "json" && format != "csv" && format != "html" && format != "fhir")
        return json_error(400, "format: expected json, csv, html or fhir");
    if (state_dir.empty()) return json_error(404, "this room keeps no journals");
    auto report = load_session_report(state_dir, id);
    if (!report) return json_error(404, "no session " + id);
    if (report->contains("error")) return json_error(422, (*report)["error"].get<std::string>());
    if (format == "csv") return {200, "text/csv; charset=utf-8", report_csv(*report), id + ".csv"};
    if (format == "html")
        return {200, "text/html; charset=utf-8", report_html(*report), id + ".html"};
    if (format == "fhir")
        return {200, "application/fhir+json", dump_json(report_fhir(*report)), id + ".fhir.json"};
    return {200, "application/json", dump_json(*report), ""};
}

Json history_reply(const std::filesystem::path& state_dir) {
    if (state_dir.empty()) return {{"sessions", Json::array()}};
    return {{"sessions", session_history(state_dir)}};
}

} // namespace stillroom
