// The live vitals and their alarms: sustained breach, clear after 30 s in range, stale,
// probe off, escalation of an unacknowledged high alert, minute rows for the record.
#include "engine/vitals_monitor.hpp"

#include <doctest/doctest.h>

using namespace stillroom;
using namespace std::chrono_literals;

namespace {

VitalsPayload spo2_hr(double spo2, double hr) {
    VitalsPayload p;
    p.values = {{"spo2", spo2}, {"hr", hr}};
    return p;
}

std::vector<std::string> kinds_of(const std::vector<Json>& events, const char* event) {
    std::vector<std::string> out;
    for (const auto& e : events)
        if (e["event"] == event) out.push_back(e["kind"]);
    return out;
}

// Feeds one reading a second from `from` to `to` (exclusive) and collects every event.
std::vector<Json> feed(VitalsMonitor& m, Ms from, Ms to, double spo2, double hr) {
    std::vector<Json> all;
    for (Ms t = from; t < to; t += 1s) {
        m.reading("oxi", spo2_hr(spo2, hr), t);
        for (auto& e : m.advance_to(t))
            all.push_back(std::move(e));
    }
    return all;
}

} // namespace

TEST_CASE("a sustained desaturation raises a high alert, ack, clears after 30 s in range") {
    VitalsMonitor m(VitalsAlert{}, VitalsMonitorOptions{}, {"oxi"}, 0ms);
    auto ev = feed(m, 0s, 20s, 97, 70);
    CHECK(kinds_of(ev, "alert_start").empty());
    CHECK(m.live_json(20s)["spo2"]["value"] == 97);
    CHECK(m.live_json(20s)["spo2"]["source"] == "oxi");
    CHECK(m.live_json(22s)["spo2"]["age_s"] == 3);
    // 9 s under 92: not yet (default sustain 10 s).
    ev = feed(m, 20s, 29s, 88, 70);
    CHECK(kinds_of(ev, "alert_start").empty());
    ev = feed(m, 29s, 31s, 87, 70);
    REQUIRE(kinds_of(ev, "alert_start") == std::vector<std::string>{"spo2_low"});
    Json alerts = m.alerts_json(31s);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0]["priority"] == "high");
    CHECK(alerts[0]["since_s"] == 30);
    CHECK(alerts[0]["value"] == 87); // the worst of the episode
    CHECK_FALSE(alerts[0].contains("acked_by"));
    const std::string id = alerts[0]["id"];
    std::string why;
    Json record;
    CHECK_FALSE(m.ack("a99", "therapist", 32s, &why, &record));
    CHECK(why.find("a99") != std::string::npos);
    REQUIRE(m.ack(id, "therapist", 32s, &why, &record));
    CHECK(record["event"] == "alert_ack");
    CHECK(m.alerts_json(32s)[0]["acked_by"] == "therapist");
    // Back in range: the alert stays for 30 s, then clears; a dip in between restarts that.
    ev = feed(m, 31s, 50s, 95, 70);
    ev = feed(m, 50s, 52s, 90, 70);
    ev = feed(m, 52s, 81s, 95, 70);
    CHECK(kinds_of(ev, "alert_end").empty());
    CHECK(m.alerts_json(81s).size() == 1);
    ev = feed(m, 81s, 84s, 95, 70);
    CHECK(kinds_of(ev, "alert_end") == std::vector<std::string>{"spo2_low"});
    CHECK(m.alerts_json(84s).empty());
    // The episode stays in the series with its acknowledgement.
    const Json series = m.series_json();
    REQUIRE(series["alerts"].size() == 1);
    CHECK(series["alerts"][0]["acked_by"] == "therapist");
    CHECK(series["alerts"][0]["ended_s"].is_number());
}

TEST_CASE("thresholds and priorities per kind") {
    struct Row {
        const char* sign;
        double value;
        const char* kind; // nullptr: in range
        const char* priority;
    };
    const VitalsAlert a{}; // 160/100, hr 50-120, spo2 92
    const Row rows[] = {
        {"spo2", 91, "spo2_low", "high"},
        {"spo2", 92, nullptr, nullptr},
        {"hr", 49, "hr_low", "medium"},
        {"hr", 50, nullptr, nullptr},
        {"hr", 121, "hr_high", "medium"},
        {"hr", 120, nullptr, nullptr},
        {"systolic", 161, "systolic_high", "medium"},
        {"systolic", 160, nullptr, nullptr},
        {"diastolic", 101, "diastolic_high", "medium"},
        {"diastolic", 100, nullptr, nullptr},
    };
    for (const auto& r : rows) {
        CAPTURE(r.sign);
        CAPTURE(r.value);
        VitalsMonitor m(a, VitalsMonitorOptions{}, {"dev"}, 0ms);
        std::vector<Json> ev;
        for (Ms t = 0s; t <= 12s; t += 1s) {
            VitalsPayload p;
            p.values = {{r.sign, r.value}};
            m.reading("dev", p, t);
            for (auto& e : m.advance_to(t))
                ev.push_back(e);
        }
        const auto started = kinds_of(ev, "alert_start");
        if (!r.kind) {
            CHECK(started.empty());
            continue;
        }
        REQUIRE(started == std::vector<std::string>{r.kind});
        CHECK(m.alerts_json(12s)[0]["priority"] == r.priority);
    }
}

TEST_CASE("a silent source is sensor_stale; a reading ends it") {
    VitalsMonitorOptions o;
    o.stale_after = 10s;
    VitalsMonitor m(VitalsAlert{}, o, {"oxi"}, 5s);
    CHECK(m.advance_to(14s).empty());
    auto ev = m.advance_to(15s);
    REQUIRE(kinds_of(ev, "alert_start") == std::vector<std::string>{"sensor_stale"});
    CHECK(m.alerts_json(15s)[0]["priority"] == "low");
    CHECK(m.alerts_json(15s)[0]["value"].is_null());
    m.reading("oxi", spo2_hr(97, 70), 16s);
    ev = m.advance_to(16s);
    CHECK(kinds_of(ev, "alert_end") == std::vector<std::string>{"sensor_stale"});
    // A breach cannot be sustained by a sensor that went silent.
    m.reading("oxi", spo2_hr(85, 70), 17s);
    m.advance_to(17s);
    ev = m.advance_to(40s);
    CHECK(kinds_of(ev, "alert_start") == std::vector<std::string>{"sensor_stale"});
}

TEST_CASE("probe off is a technical alert; its numbers are no reading") {
    VitalsMonitor m(VitalsAlert{}, VitalsMonitorOptions{}, {"plx"}, 0ms);
    VitalsPayload off;
    off.probe_off = true;
    m.reading("plx", off, 1s);
    auto ev = m.advance_to(1s);
    REQUIRE(kinds_of(ev, "alert_start") == std::vector<std::string>{"probe_off"});
    CHECK(m.alerts_json(1s)[0]["priority"] == "medium");
    CHECK(m.live_json(1s).empty());
    m.reading("plx", spo2_hr(97, 70), 3s);
    ev = m.advance_to(3s);
    CHECK(kinds_of(ev, "alert_end") == std::vector<std::string>{"probe_off"});
}

TEST_CASE("an unacknowledged high alert escalates after 60 s; an acknowledged one does not") {
    for (bool acked : {false, true}) {
        CAPTURE(acked);
        VitalsMonitor m(VitalsAlert{}, VitalsMonitorOptions{}, {"oxi"}, 0ms);
        feed(m, 0s, 11s, 85, 70);
        REQUIRE(m.alerts_json(11s).size() == 1);
        if (acked) m.ack(m.alerts_json(11s)[0]["id"], "therapist", 12s, nullptr, nullptr);
        auto ev = feed(m, 11s, 69s, 85, 70);
        CHECK(kinds_of(ev, "alert_escalated").empty());
        ev = feed(m, 69s, 71s, 85, 70);
        CHECK(kinds_of(ev, "alert_escalated").size() == (acked ? 0u : 1u));
        CHECK(m.alerts_json(71s)[0]["escalated"] == !acked);
        // The overview's copy: kind and priority, never the value.
        const Json bare = VitalsMonitor::alerts_without_values(m.alerts_json(71s));
        CHECK_FALSE(bare[0].contains("value"));
        CHECK(bare[0]["kind"] == "spo2_low");
        CHECK(bare[0]["acked"] == acked);
    }
}

TEST_CASE("a spot measurement raises its alert at once; an in-range one clears it") {
    VitalsMonitor m(VitalsAlert{}, VitalsMonitorOptions{}, {}, 0ms);
    m.spot("cuff", {{"systolic", 171}, {"diastolic", 95}, {"hr", 70}}, 5s);
    auto ev = m.advance_to(5s);
    CHECK(kinds_of(ev, "alert_start") == std::vector<std::string>{"systolic_high"});
    m.spot("cuff", {{"systolic", 140}, {"diastolic", 85}}, 900s);
    ev = m.advance_to(900s);
    CHECK(kinds_of(ev, "alert_end") == std::vector<std::string>{"systolic_high"});
}

TEST_CASE("continuous values become one row per minute: min, median, max per sign") {
    VitalsMonitor m(VitalsAlert{}, VitalsMonitorOptions{}, {"oxi"}, 0ms);
    std::vector<Json> ev;
    const double spo2[] = {96, 98, 97, 95};
    for (int i = 0; i < 4; ++i) {
        m.reading("oxi", spo2_hr(spo2[i], 60 + i), Ms{i * 15000});
        for (auto& e : m.advance_to(Ms{i * 15000}))
            ev.push_back(e);
    }
    for (auto& e : m.advance_to(61s))
        ev.push_back(e);
    std::vector<Json> rows;
    for (const auto& e : ev)
        if (e["event"] == "vitals_minute") rows.push_back(e);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]["minute_s"] == 0);
    CHECK(rows[0]["signs"]["spo2"]["min"] == 95);
    CHECK(rows[0]["signs"]["spo2"]["median"] == 96.5);
    CHECK(rows[0]["signs"]["spo2"]["max"] == 98);
    CHECK(rows[0]["signs"]["hr"]["n"] == 4);
    CHECK(m.trend_json().size() == 1);
}
