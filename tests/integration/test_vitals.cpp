// Vitals from the room's monitors over a real mosquitto broker, through the real HTTP API:
// every payload format, a bad payload, probe off, a silent sensor, the cuff's reading in the
// record, a sustained desaturation -> high alert -> escalation (kind and priority only on
// MQTT) -> ack -> clear, and nothing vital on the room's own topics. The session clock runs
// at 10x (ScaledClock, as `run --speed 10`), so the 10 s / 30 s / 60 s alarm times take
// 1 / 3 / 6 s here; readings go out once per 100 ms, one per session second.
#include "../unit/temp_dir.hpp"
#include "api_client.hpp"
#include "helpers.hpp"
#include "process.hpp"
#include "services.hpp"

#include <doctest/doctest.h>

#include <sstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

Json find_alert(const Json& session, const std::string& kind, const std::string& source = "") {
    for (const auto& a : session["alerts"])
        if (a["kind"] == kind && (source.empty() || a["source"] == source)) return a;
    return nullptr;
}

bool has_vitals_entry(const Json& session, const std::string& source) {
    for (const auto& v : session["vitals"])
        if (v.value("source", "") == source) return true;
    return false;
}

} // namespace

TEST_CASE("vitals over a real broker: formats, probe off, stale, desaturation alarm, privacy") {
    TempDir dir;
    const int mqtt_port = free_loopback_port();
    const int http_port = free_loopback_port();
    Broker broker(dir.path.string(), mqtt_port);
    REQUIRE(broker.start());
    const fs::path lib_dir = dir.path / "lib";
    const Json room = {
        {"room", "vitals-test"},
        {"mqtt",
         {{"url", "mqtt://127.0.0.1:" + std::to_string(mqtt_port)}, {"base_topic", "stillroom/v"}}},
        {"control",
         {{"listen", "127.0.0.1:" + std::to_string(http_port)}, {"users", three_users()}}},
        {"vitals",
         {{"sources", Json::parse(R"([
             {"id": "oxi", "topic": "ward/oxi1", "format": "json", "fields": {"spo2": "SpO2", "hr": "pulse.bpm"}},
             {"id": "plx", "topic": "ble/plx1", "format": "ble-plx-continuous"},
             {"id": "spot", "topic": "ble/plx2", "format": "ble-plx-spot"},
             {"id": "cuff", "topic": "ble/bps1", "format": "ble-bps"},
             {"id": "ha-hr", "topic": "homeassistant/sensor/oxi_hr/state", "format": "number", "field": "hr"}])")},
          {"stale_after", "30s"}}}};
    write_text(lib_dir / "room.json", room.dump(2));
    write_text(lib_dir / "sessions/s.json",
               R"({"name":"Watch","phases":[{"id":"watch","until":"therapist","duration":"4h"}],
                   "end":{"fade":"1s"}})");
    Problems problems;
    Library lib = load_library(lib_dir, problems);
    INFO(problems.to_string());
    REQUIRE(problems.error_count() == 0);

    // Everything the room publishes on its own topics, for the privacy check at the end.
    const fs::path room_topics = dir.path / "room-topics.txt";
    Process sub;
    REQUIRE(sub.start({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(mqtt_port), "-v",
                       "-t", "stillroom/v/#"},
                      room_topics.string()));

    ScaledClock clock(10);
    SteadyDeviceClock device_clock;
    RoomServices services(std::move(lib), test_room_options(dir.path / "state"), clock,
                          device_clock);
    services.start();
    REQUIRE(eventually([&] { return services.mqtt()->connected(); }, 50));

    MqttOptions po;
    po.port = mqtt_port;
    po.client_id = "vitals-test-monitors";
    MqttClient monitors(po, device_clock);
    std::string error;
    REQUIRE(monitors.start(&error));
    REQUIRE(eventually([&] { return monitors.connected(); }, 50));
    auto send = [&](const std::string& topic, const std::string& payload) {
        monitors.publish(topic, payload, 1, false);
    };

    ApiClient api(http_port);
    const std::string token = api.login("1357");
    auto session = [&] { return api.json("GET", "/api/v1/state", token, "", 200)["session"]; };
    REQUIRE(api.json("POST", "/api/v1/session/start", token, R"({"template":"s"})", 200)["ok"] ==
            true);
    const std::string id = session()["id"];

    // json: dotted paths.
    CHECK(eventually(
        [&] {
            send("ward/oxi1", R"({"SpO2": 97, "pulse": {"bpm": 70}})");
            const Json live = session()["vitals_live"];
            return live.contains("spo2") && live["spo2"]["value"] == 97 &&
                   live["spo2"]["source"] == "oxi" && live["hr"]["value"] == 70;
        },
        50));
    // number: Home Assistant's state topic.
    CHECK(eventually(
        [&] {
            send("homeassistant/sensor/oxi_hr/state", "64");
            const Json live = session()["vitals_live"];
            return live["hr"]["source"] == "ha-hr" && live["hr"]["value"] == 64;
        },
        50));
    // ble-plx-continuous: 0x2A5F, SpO2 96, PR 72.
    CHECK(eventually(
        [&] {
            send("ble/plx1", "00 6000 4800");
            const Json live = session()["vitals_live"];
            return live["spo2"]["source"] == "plx" && live["spo2"]["value"] == 96;
        },
        50));
    // Probe off (Device and Sensor Status: Sensor Unconnected to User), then back on.
    CHECK(eventually(
        [&] {
            send("ble/plx1", "08 6100 4800 000800");
            const Json a = find_alert(session(), "probe_off", "plx");
            return a.is_object() && a["priority"] == "medium";
        },
        50));
    CHECK(eventually(
        [&] {
            send("ble/plx1", "00 6100 4800");
            return find_alert(session(), "probe_off", "plx").is_null();
        },
        50));
    // ble-bps (0x2A35, mmHg, pulse rate) and ble-plx-spot (0x2A5E): session.vitals entries.
    send("ble/bps1", "04 7800 5000 5D00 4800");
    send("ble/plx2", "00 6000 4B00");
    REQUIRE(eventually(
        [&] {
            const Json s = session();
            return has_vitals_entry(s, "cuff") && has_vitals_entry(s, "spot");
        },
        50));
    const Json after_spots = session(); // alive through the loop
    for (const auto& v : after_spots["vitals"]) {
        CAPTURE(v.dump());
        if (v["source"] == "cuff") {
            CHECK(v["systolic"] == 120);
            CHECK(v["diastolic"] == 80);
            CHECK(v["hr"] == 72);
            CHECK(v["flags"].empty());
        } else {
            CHECK(v["spo2"] == 96);
            CHECK(v["hr"] == 75);
        }
    }
    // A bad payload is dropped and counted; the room goes on.
    send("ble/bps1", "not hex at all");
    send("ward/oxi1", "{\"SpO2\": ");
    REQUIRE(eventually([&] { return services.vitals()->health()["dropped"] == 2; }, 50));
    CHECK(session()["vitals"].size() == 2);

    // A silent sensor: the HA heart rate has not spoken for 30 session seconds.
    CHECK(eventually(
        [&] {
            send("ward/oxi1", R"({"SpO2": 97, "pulse": {"bpm": 70}})");
            const Json a = find_alert(session(), "sensor_stale", "ha-hr");
            return a.is_object() && a["priority"] == "low";
        },
        80));

    // A sustained desaturation: high alert after 10 s (session), escalated after 60 s.
    Json alert;
    REQUIRE(eventually(
        [&] {
            send("ward/oxi1", R"({"SpO2": 85, "pulse": {"bpm": 70}})");
            alert = find_alert(session(), "spo2_low");
            return alert.is_object();
        },
        50));
    CHECK(alert["priority"] == "high");
    CHECK(alert["value"] == 85);
    CHECK_FALSE(alert.contains("acked_by"));
    CHECK(eventually(
        [&] {
            send("ward/oxi1", R"({"SpO2": 85, "pulse": {"bpm": 70}})");
            return find_alert(session(), "spo2_low")["escalated"] == true;
        },
        120));
    // The clinic sees that it exists (kind, priority), never its value: the room's MQTT state.
    CHECK(eventually(
        [&] {
            std::istringstream lines(read_text(room_topics));
            for (std::string line; std::getline(lines, line);) {
                if (line.rfind("stillroom/v/state ", 0) != 0) continue;
                const Json st = Json::parse(line.substr(18), nullptr, false);
                if (!st.is_object() || !st["session"].is_object()) continue;
                for (const auto& a : st["session"].value("alerts", Json::array()))
                    if (a["kind"] == "spo2_low" && a["escalated"] == true)
                        return a["priority"] == "high" && !a.contains("value");
            }
            return false;
        },
        50));
    // The therapist acknowledges; back in range for 30 s, it clears.
    const Json acked =
        api.json("POST", "/api/v1/session/alerts/" + alert["id"].get<std::string>() + "/ack", token,
                 "{}", 200);
    CHECK(find_alert(acked["state"]["session"], "spo2_low")["acked_by"] == "t");
    api.json("POST", "/api/v1/session/alerts/a999/ack", token, "{}", 404);
    CHECK(eventually(
        [&] {
            send("ward/oxi1", R"({"SpO2": 97, "pulse": {"bpm": 70}})");
            return find_alert(session(), "spo2_low").is_null();
        },
        80));
    // The full series is its own endpoint.
    const Json series = api.json("GET", "/api/v1/session/vitals/series", token, "", 200);
    CHECK(series["series"]["spo2"].size() > 20);

    // The record: the cuff reading and the alert episode with its acknowledgement.
    api.json("POST", "/api/v1/session/end", token, "{}", 200);
    Json report;
    REQUIRE(eventually(
        [&] {
            auto r = api.get("/api/v1/reports/" + id + "?format=json", token);
            if (!r || r->status != 200) return false;
            report = Json::parse(r->body, nullptr, false);
            return report.is_object() && report.contains("alerts") &&
                   report["session"].value("status", "") == "finished";
        },
        50));
    bool cuff_in_record = false;
    for (const auto& v : report["vitals"])
        cuff_in_record =
            cuff_in_record || (v.value("source", "") == "cuff" && v["systolic"] == 120);
    CHECK(cuff_in_record);
    bool episode = false;
    for (const auto& a : report["alerts"])
        if (a["kind"] == "spo2_low")
            episode = a["acked_by"] == "t" && a["end_s"].is_number() && a["escalated"] == true;
    CHECK(episode);

    // Nothing vital ever went out on the room's own topics.
    services.stop();
    sub.stop();
    const std::string published = read_text(room_topics);
    REQUIRE_FALSE(published.empty());
    for (const char* needle :
         {"vitals_live", "vitals_trend", "\"SpO2\"", "\"value\"", "\"systolic\":", "\"spo2\":"}) {
        CAPTURE(needle);
        const auto at = published.find(needle);
        if (at != std::string::npos) MESSAGE(published.substr(at > 300 ? at - 300 : 0, 600));
        CHECK(at == std::string::npos);
    }
    monitors.stop();
}

TEST_CASE("stillroom vitals simulate: an oximeter and a cuff the room reads") {
    TempDir dir;
    const int mqtt_port = free_loopback_port();
    Broker broker(dir.path.string(), mqtt_port);
    REQUIRE(broker.start());
    const fs::path lib_dir = dir.path / "lib";
    write_text(lib_dir / "room.json",
               Json{{"room", "sim-test"},
                    {"mqtt",
                     {{"url", "mqtt://127.0.0.1:" + std::to_string(mqtt_port)},
                      {"base_topic", "stillroom/sim"}}},
                    {"vitals", {{"sources", Json::parse(R"([
             {"id": "oxi", "topic": "ward/oxi1", "format": "json", "fields": {"spo2": "SpO2", "hr": "pulse.bpm"}},
             {"id": "plx", "topic": "ble/plx1", "format": "ble-plx-continuous"},
             {"id": "cuff", "topic": "ble/bps1", "format": "ble-bps"}])")}}}}
                   .dump());
    write_text(lib_dir / "sessions/s.json",
               R"({"name":"Watch","phases":[{"id":"watch","until":"therapist","duration":"4h"}]})");
    Problems problems;
    Library lib = load_library(lib_dir, problems);
    REQUIRE(problems.error_count() == 0);
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    RoomServices services(std::move(lib), test_room_options(dir.path / "state", "off"), clock,
                          device_clock);
    services.start();
    REQUIRE(eventually([&] { return services.mqtt()->connected(); }, 50));
    REQUIRE(services.room().start({"s", ""}).ok);
    Process sim;
    REQUIRE(sim.start({STILLROOM_EXE, "vitals", "simulate", "--library", lib_dir.string(),
                       "--seconds", "4", "--cuff-every", "10"}));
    auto session = [&] { return services.room().state()["session"]; };
    CHECK(eventually(
        [&] {
            const Json s = session();
            const Json live = s["vitals_live"];
            return live.contains("spo2") && live["spo2"]["value"] >= 94 &&
                   live["spo2"]["value"] <= 99 && live.contains("hr") && !s["vitals"].empty();
        },
        60));
    const Json s = session();
    REQUIRE_FALSE(s["vitals"].empty());
    CHECK(s["vitals"][0]["source"] == "cuff");
    CHECK(s["vitals"][0]["systolic"].get<int>() >= 110);
    CHECK(s["alerts"].empty());
    CHECK(services.vitals()->health()["dropped"] == 0);
    CHECK(eventually([&] { return sim.exited(); }, 80));
    services.stop();
}
