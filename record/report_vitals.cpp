// Vitals from the room's monitors in the session report: alert episodes and minute rows.
#include "record/report.hpp"

namespace stillroom {

bool report_vitals_event(const Json& r, Ms t, Json& alerts, Json& trend) {
    const std::string event = r.value("event", "");
    auto find = [&](const Json& id) -> Json* {
        for (auto& a : alerts)
            if (a["id"] == id) return &a;
        return nullptr;
    };
    if (event == "alert_start") {
        alerts.push_back({{"id", r.value("id", "")},
                          {"kind", r.value("kind", "")},
                          {"priority", r.value("priority", "")},
                          {"source", r.value("source", "")},
                          {"value", r.contains("value") ? r["value"] : Json(nullptr)},
                          {"start_s", report_seconds(t)},
                          {"escalated", false},
                          {"acked_by", nullptr},
                          {"ack_s", nullptr},
                          {"end_s", nullptr}});
    } else if (event == "alert_ack") {
        if (Json* a = find(r.value("id", ""))) {
            (*a)["acked_by"] = r.value("by", "");
            (*a)["ack_s"] = report_seconds(t);
        }
    } else if (event == "alert_escalated") {
        if (Json* a = find(r.value("id", ""))) (*a)["escalated"] = true;
    } else if (event == "alert_end") {
        if (Json* a = find(r.value("id", ""))) {
            (*a)["end_s"] = report_seconds(t);
            if (r.contains("worst")) (*a)["value"] = r["worst"];
        }
    } else if (event == "vitals_minute") {
        Json row = r.value("signs", Json::object());
        row["minute_s"] = r.value("minute_s", 0);
        trend.push_back(std::move(row));
    } else {
        return false;
    }
    return true;
}

} // namespace stillroom
