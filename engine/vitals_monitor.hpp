// The session's live vital signs from the room's monitors and the alarms they raise
// (priorities after IEC 60601-1-8): the latest value per sign, a per-minute summary for the
// record, the full series for its own endpoint, and the alerts with their acknowledgement.
// Pure: time is passed in, records come back as journal events; the room owns it under its
// lock. Nothing here makes a sound or publishes anything.
#pragma once

#include "engine/json_reader.hpp"
#include "engine/template.hpp"
#include "engine/time.hpp"
#include "engine/vitals_decode.hpp"

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace stillroom {

struct VitalsMonitorOptions {
    Ms stale_after{std::chrono::seconds{10}};    // no value from a source: sensor_stale
    Ms sustain{std::chrono::seconds{10}};        // a continuous breach this long raises an alert
    Ms clear_after{std::chrono::seconds{30}};    // back in range this long clears it
    Ms escalate_after{std::chrono::seconds{60}}; // an unacknowledged high alert: clinic
    std::size_t max_series_points = 100000;      // the series endpoint's memory bound
};

struct VitalsAlertState {
    std::string id; // "a1", "a2", ... in the order raised
    std::string kind;
    std::string priority; // high | medium | low
    std::string source;
    Ms since{0};
    std::optional<double> value; // the worst value of the episode (physiological kinds)
    std::optional<std::string> acked_by;
    std::optional<Ms> acked_at;
    bool escalated = false;
    std::optional<Ms> ended; // the episode stays in the record
};

class VitalsMonitor {
public:
    VitalsMonitor(VitalsAlert thresholds, VitalsMonitorOptions options,
                  std::vector<std::string> continuous_sources, Ms start);

    // A decoded payload from a continuous source at session time t.
    void reading(const std::string& source, const VitalsPayload& payload, Ms t);
    // A spot measurement (cuff, PLX spot-check): no live value, but a breach raises (and an
    // in-range reading clears) the sign's alert at once.
    void spot(const std::string& source, const std::map<std::string, double>& values, Ms t);
    // Moves to t: raises, escalates and clears alerts, closes minute rows. Returns the
    // journal events (objects with "event") that happened, in order.
    std::vector<Json> advance_to(Ms t);
    // Acknowledges alert `id`; false with the reason when there is no such active alert.
    bool ack(const std::string& id, const std::string& by, Ms t, std::string* why, Json* record);

    Json live_json(Ms t) const;   // session.vitals_live
    Json alerts_json(Ms t) const; // session.alerts (active ones)
    Json trend_json() const;      // the last hour of minute rows (for the tablet's line)
    Json series_json() const;     // every point still held, and every episode
    // For the overview and MQTT: the active alerts without any value.
    static Json alerts_without_values(const Json& alerts);

private:
    struct Live {
        double value = 0;
        std::string source;
        Ms at{0};
    };
    struct Breach {
        Ms since{0};
        double worst = 0;
        std::string source;
    };
    struct Point {
        Ms at;
        std::string sign;
        double value;
    };
    void evaluate(const std::string& sign, double value, const std::string& source, Ms t);
    void raise(const std::string& kind, const std::string& source, Ms since,
               std::optional<double> value, std::vector<Json>& out);
    void end(VitalsAlertState& a, Ms t, std::vector<Json>& out);
    VitalsAlertState* active(const std::string& kind, const std::string& source);
    void close_minute(std::vector<Json>& out);

    VitalsAlert thresholds_;
    VitalsMonitorOptions options_;
    Ms start_;
    std::map<std::string, Ms> last_seen_;      // continuous source -> last payload
    std::map<std::string, Live> live_;         // sign -> latest value
    std::map<std::string, Breach> breach_;     // kind -> a continuous breach in progress
    std::map<std::string, Ms> in_range_since_; // kind -> back in range since
    std::map<std::string, bool> probe_off_;    // source -> probe off now
    std::vector<VitalsAlertState> alerts_;     // every episode, active and ended
    std::int64_t minute_ = -1;                 // the minute being collected
    std::map<std::string, std::vector<double>> minute_values_;
    std::deque<Json> minute_rows_;
    std::deque<Point> series_;
    std::size_t series_dropped_ = 0;
    int next_id_ = 1;
    std::vector<Json> spot_events_;
};

} // namespace stillroom
