// The session's live vitals and their alarms (see vitals_monitor.hpp and docs/vitals.md).
#include "engine/vitals_monitor.hpp"

#include <algorithm>
#include <cmath>

namespace stillroom {

namespace {

struct Rule {
    const char* sign;
    const char* kind;
    const char* priority;
};
// IEC 60601-1-8 style priorities: a low SpO2 needs an immediate response (high); a heart
// rate or blood pressure beyond the template's limits a prompt one (medium).
constexpr Rule kRules[] = {{"spo2", "spo2_low", "high"},
                           {"hr", "hr_low", "medium"},
                           {"hr", "hr_high", "medium"},
                           {"systolic", "systolic_high", "medium"},
                           {"diastolic", "diastolic_high", "medium"}};

bool breaches(const std::string& kind, double v, const VitalsAlert& a) {
    if (kind == "spo2_low") return v < a.spo2_min;
    if (kind == "hr_low") return v < a.hr_min;
    if (kind == "hr_high") return v > a.hr_max;
    if (kind == "systolic_high") return v > a.systolic_max;
    if (kind == "diastolic_high") return v > a.diastolic_max;
    return false;
}

// Lower is worse for the "_low" kinds, higher for the "_high" ones.
double worse(const std::string& kind, double a, double b) {
    return kind.ends_with("_low") ? std::min(a, b) : std::max(a, b);
}

double round1(double v) {
    return std::round(v * 10) / 10;
}

Json stats(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return {{"min", round1(v.front())},
            {"median", round1(median)},
            {"max", round1(v.back())},
            {"n", n}};
}

constexpr std::int64_t kMinuteMs = 60000;

} // namespace

VitalsMonitor::VitalsMonitor(VitalsAlert thresholds, VitalsMonitorOptions options,
                             std::vector<std::string> continuous_sources, Ms start)
    : thresholds_(thresholds), options_(options), start_(start) {
    for (auto& s : continuous_sources)
        last_seen_.emplace(std::move(s), start); // stale counts from the session's start
}

VitalsAlertState* VitalsMonitor::active(const std::string& kind, const std::string& source) {
    for (auto& a : alerts_)
        if (!a.ended && a.kind == kind && (source.empty() || a.source == source)) return &a;
    return nullptr;
}

void VitalsMonitor::raise(const std::string& kind, const std::string& source, Ms since,
                          std::optional<double> value, std::vector<Json>& out) {
    const char* priority = "low";
    for (const auto& r : kRules)
        if (kind == r.kind) priority = r.priority;
    if (kind == "probe_off") priority = "medium";
    VitalsAlertState a;
    a.id = "a" + std::to_string(next_id_++);
    a.kind = kind;
    a.priority = priority;
    a.source = source;
    a.since = since;
    a.value = value;
    Json e = {{"event", "alert_start"}, {"t", since.count()},   {"id", a.id},
              {"kind", kind},           {"priority", priority}, {"source", source}};
    if (value) e["value"] = round1(*value);
    out.push_back(std::move(e));
    alerts_.push_back(std::move(a));
}

void VitalsMonitor::end(VitalsAlertState& a, Ms t, std::vector<Json>& out) {
    a.ended = t;
    Json e = {{"event", "alert_end"}, {"t", t.count()}, {"id", a.id}, {"kind", a.kind}};
    if (a.value) e["worst"] = round1(*a.value);
    out.push_back(std::move(e));
}

void VitalsMonitor::evaluate(const std::string& sign, double value, const std::string& source,
                             Ms t) {
    for (const auto& r : kRules) {
        if (sign != r.sign) continue;
        const std::string kind = r.kind;
        VitalsAlertState* a = active(kind, "");
        if (breaches(kind, value, thresholds_)) {
            in_range_since_.erase(kind);
            auto it = breach_.find(kind);
            if (it == breach_.end())
                breach_[kind] = {t, value, source};
            else
                it->second.worst = worse(kind, it->second.worst, value);
            if (a) a->value = worse(kind, a->value.value_or(value), value);
        } else {
            breach_.erase(kind);
            if (a && !in_range_since_.contains(kind)) in_range_since_[kind] = t;
        }
    }
}

void VitalsMonitor::close_minute(std::vector<Json>& out) {
    if (minute_ < 0 || minute_values_.empty()) return;
    Json signs = Json::object();
    for (const auto& [sign, values] : minute_values_)
        if (!values.empty()) signs[sign] = stats(values);
    minute_values_.clear();
    Json row = {{"event", "vitals_minute"},
                {"t", (minute_ + 1) * kMinuteMs},
                {"minute_s", minute_ * 60},
                {"signs", signs}};
    out.push_back(row);
    Json compact = signs;
    compact["minute_s"] = minute_ * 60;
    minute_rows_.push_back(std::move(compact));
    if (minute_rows_.size() > 24 * 60) minute_rows_.pop_front(); // a day of rows at most
}

void VitalsMonitor::reading(const std::string& source, const VitalsPayload& p, Ms t) {
    std::vector<Json>& out = spot_events_;
    last_seen_[source] = t;
    if (auto* stale = active("sensor_stale", source)) end(*stale, t, out);
    if (p.probe_off) {
        if (!active("probe_off", source)) raise("probe_off", source, t, std::nullopt, out);
    } else if (auto* off = active("probe_off", source); off && !p.values.empty()) {
        end(*off, t, out);
    }
    const std::int64_t minute = t.count() / kMinuteMs;
    if (minute != minute_) {
        close_minute(out);
        minute_ = minute;
    }
    for (const auto& [sign, value] : p.values) {
        live_[sign] = {value, source, t};
        minute_values_[sign].push_back(value);
        series_.push_back({t, sign, value});
        if (series_.size() > options_.max_series_points) {
            series_.pop_front();
            ++series_dropped_;
        }
        evaluate(sign, value, source, t);
    }
}

void VitalsMonitor::spot(const std::string& source, const std::map<std::string, double>& values,
                         Ms t) {
    for (const auto& [sign, value] : values)
        for (const auto& r : kRules) {
            if (sign != r.sign) continue;
            VitalsAlertState* a = active(r.kind, "");
            const bool breach = breaches(r.kind, value, thresholds_);
            if (breach && !a)
                raise(r.kind, source, t, value, spot_events_);
            else if (breach && a)
                a->value = worse(r.kind, a->value.value_or(value), value);
            else if (!breach && a && !breach_.contains(r.kind))
                end(*a, t, spot_events_); // a new in-range measurement clears it
        }
}

std::vector<Json> VitalsMonitor::advance_to(Ms t) {
    std::vector<Json> out = std::move(spot_events_);
    spot_events_.clear();
    // A breach lasts while its sign keeps coming; a silent sensor is its own alert.
    for (auto it = breach_.begin(); it != breach_.end();) {
        const auto& [kind, b] = *it;
        std::string sign;
        for (const auto& r : kRules)
            if (kind == r.kind) sign = r.sign;
        const auto live = live_.find(sign);
        if (live == live_.end() || t - live->second.at >= options_.stale_after) {
            it = breach_.erase(it);
            continue;
        }
        if (!active(kind, "") && t - b.since >= options_.sustain)
            raise(kind, b.source, b.since + options_.sustain, b.worst, out);
        ++it;
    }
    for (auto it = in_range_since_.begin(); it != in_range_since_.end();) {
        VitalsAlertState* a = active(it->first, "");
        if (!a) {
            it = in_range_since_.erase(it);
            continue;
        }
        if (t - it->second >= options_.clear_after) {
            end(*a, it->second + options_.clear_after, out);
            it = in_range_since_.erase(it);
            continue;
        }
        ++it;
    }
    for (const auto& [source, seen] : last_seen_)
        if (t - seen >= options_.stale_after && !active("sensor_stale", source))
            raise("sensor_stale", source, seen + options_.stale_after, std::nullopt, out);
    for (auto& a : alerts_)
        if (!a.ended && a.priority == "high" && !a.acked_by && !a.escalated &&
            t - a.since >= options_.escalate_after) {
            a.escalated = true;
            out.push_back({{"event", "alert_escalated"},
                           {"t", (a.since + options_.escalate_after).count()},
                           {"id", a.id},
                           {"kind", a.kind}});
        }
    if (minute_ >= 0 && t.count() / kMinuteMs != minute_) {
        close_minute(out);
        minute_ = t.count() / kMinuteMs;
    }
    return out;
}

bool VitalsMonitor::ack(const std::string& id, const std::string& by, Ms t, std::string* why,
                        Json* record) {
    for (auto& a : alerts_) {
        if (a.id != id || a.ended) continue;
        if (a.acked_by) {
            if (why) *why = "already acknowledged by " + *a.acked_by;
            return true;
        }
        a.acked_by = by;
        a.acked_at = t;
        if (record)
            *record = {{"event", "alert_ack"},
                       {"t", t.count()},
                       {"id", a.id},
                       {"kind", a.kind},
                       {"by", by}};
        return true;
    }
    if (why) *why = "no active alert \"" + id + "\"";
    return false;
}

Json VitalsMonitor::live_json(Ms t) const {
    Json out = Json::object();
    for (const auto& [sign, l] : live_)
        out[sign] = {{"value", round1(l.value)},
                     {"source", l.source},
                     {"age_s", std::max<std::int64_t>(0, (t - l.at).count()) / 1000}};
    return out;
}

Json VitalsMonitor::alerts_json(Ms t) const {
    (void)t;
    Json out = Json::array();
    for (const auto& a : alerts_) {
        if (a.ended) continue;
        Json j = {{"id", a.id},
                  {"kind", a.kind},
                  {"priority", a.priority},
                  {"since_s", to_seconds(a.since)},
                  {"value", a.value ? Json(round1(*a.value)) : Json(nullptr)},
                  {"source", a.source},
                  {"escalated", a.escalated}};
        if (a.acked_by) j["acked_by"] = *a.acked_by;
        out.push_back(std::move(j));
    }
    return out;
}

Json VitalsMonitor::alerts_without_values(const Json& alerts) {
    Json out = Json::array();
    if (!alerts.is_array()) return out;
    for (const auto& a : alerts) {
        if (!a.is_object()) continue;
        Json j = Json::object();
        for (const char* key : {"id", "kind", "priority", "since_s", "escalated"})
            if (a.contains(key)) j[key] = a[key];
        j["acked"] = a.contains("acked_by");
        out.push_back(std::move(j));
    }
    return out;
}

Json VitalsMonitor::trend_json() const {
    Json out = Json::array();
    const std::size_t from = minute_rows_.size() > 60 ? minute_rows_.size() - 60 : 0;
    for (std::size_t i = from; i < minute_rows_.size(); ++i)
        out.push_back(minute_rows_[i]);
    return out;
}

Json VitalsMonitor::series_json() const {
    Json signs = Json::object();
    for (const auto& p : series_)
        signs[p.sign].push_back(Json::array({to_seconds(p.at), round1(p.value)}));
    Json episodes = Json::array();
    for (const auto& a : alerts_) {
        Json j = {{"id", a.id},
                  {"kind", a.kind},
                  {"priority", a.priority},
                  {"since_s", to_seconds(a.since)},
                  {"ended_s", a.ended ? Json(to_seconds(*a.ended)) : Json(nullptr)},
                  {"value", a.value ? Json(round1(*a.value)) : Json(nullptr)},
                  {"source", a.source}};
        if (a.acked_by) {
            j["acked_by"] = *a.acked_by;
            j["acked_s"] = to_seconds(*a.acked_at);
        }
        episodes.push_back(std::move(j));
    }
    Json minutes = Json::array();
    for (const auto& r : minute_rows_)
        minutes.push_back(r);
    return {{"series", signs},
            {"minutes", minutes},
            {"alerts", episodes},
            {"dropped_points", series_dropped_}};
}

} // namespace stillroom
