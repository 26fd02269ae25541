// Vitals from devices at a monitor's pace: 10,000 readings (an oximeter's JSON, SpO2 and
// heart rate, one a session second) fed through the vitals driver into the room, with a
// state listener that serialises every state (as the SSE hub and the MQTT bridge do). At
// checkpoints it measures a therapist's tap (Hold then Resume through Room::command, which
// answers with the new state and notifies the listener) and the size of GET /state.
// For contrast, the old way (every reading a session.vitals entry) after 1,000 readings.
// Session time is a ManualClock (one second per reading); the tap is timed in real time.
// usage: bench_vitals   Prints a table; exits 2 when a goal is missed.
#include "devices/vitals_driver.hpp"
#include "runtime/room.hpp"

#include "bench_util.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <unistd.h>

using namespace stillroom;
namespace fs = std::filesystem;
using WallClock = std::chrono::steady_clock; // benchmarks measure real time by design

namespace {

// The MQTT link as the driver sees it; the bench delivers the messages itself.
class DirectLink final : public MqttLink {
public:
    void on_message(MessageHandler h) override { handler_ = std::move(h); }
    void on_connect(std::function<void()>) override {}
    void subscribe(const std::string&, int) override {}
    void ignore_retained(const std::string&) override {}
    bool publish(const std::string&, const std::string&, int, bool) override { return true; }
    bool connected() const override { return true; }
    void deliver(const std::string& topic, const std::string& payload) { handler_(topic, payload); }

private:
    MessageHandler handler_;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Median ms of 60 taps (Hold, Resume): each journals its record (fdatasync) and builds the
// new state for its answer and for the listeners.
double tap_ms(Room& room) {
    std::vector<double> ms;
    for (int i = 0; i < 60; ++i) {
        Command c;
        c.kind = i % 2 ? CommandKind::Resume : CommandKind::Hold;
        const auto t0 = WallClock::now();
        (void)room.command(c);
        ms.push_back(std::chrono::duration<double, std::milli>(WallClock::now() - t0).count());
    }
    return median(ms);
}

// Median ms of building and serialising the state (GET /state, each SSE and MQTT update):
// the part of a tap that grew with the readings before.
double state_ms(Room& room) {
    std::vector<double> ms;
    for (int i = 0; i < 60; ++i) {
        const auto t0 = WallClock::now();
        (void)room.state().dump();
        ms.push_back(std::chrono::duration<double, std::milli>(WallClock::now() - t0).count());
    }
    return median(ms);
}

Library library(const fs::path& dir) {
    bench::write_file(dir / "room.json", R"({"room":"bench","mqtt":{"url":"mqtt://127.0.0.1:1"},
      "vitals":{"sources":[{"id":"oxi","topic":"ward/oxi1","format":"json",
                            "fields":{"spo2":"SpO2","hr":"pulse.bpm"}}]}})");
    bench::write_file(dir / "sessions/s.json",
                      R"({"name":"S","phases":[{"id":"a","until":"therapist","duration":"4h"}]})");
    Problems problems;
    Library lib = load_library(dir, problems);
    if (problems.error_count()) std::fprintf(stderr, "%s", problems.to_string().c_str());
    return lib;
}

} // namespace

int main() {
    const fs::path dir =
        fs::temp_directory_path() / ("stillroom-bench-vitals-" + std::to_string(getpid()));
    ManualClock clock;
    ManualDeviceClock device_clock;
    DirectLink link;
    Room room(library(dir / "lib"), dir / "state", clock);
    std::size_t serialised = 0;
    room.on_change([&](const Json& s) { serialised += s.dump().size(); });
    VitalsDriver driver(
        *room.library().room.vitals, link, device_clock,
        [&](const std::string& s, VitalsPayload p, bool spot) {
            room.vitals_reading(s, std::move(p), spot);
        },
        std::cerr);
    room.add_driver(&driver);
    room.start({"s", ""});

    struct Row {
        int readings;
        double tap;
        double build;
        std::size_t state;
    };
    std::vector<Row> rows;
    rows.push_back({0, tap_ms(room), state_ms(room), room.state().dump().size()});
    const int checkpoints[] = {1000, 2000, 5000, 10000};
    int fed = 0;
    for (int target : checkpoints) {
        for (; fed < target; ++fed) {
            const int spo2 = 94 + fed % 5, hr = 60 + fed % 13;
            link.deliver("ward/oxi1", "{\"SpO2\": " + std::to_string(spo2) +
                                          ", \"pulse\": {\"bpm\": " + std::to_string(hr) + "}}");
            clock.advance_by(std::chrono::seconds{1});
            room.tick();
        }
        rows.push_back({target, tap_ms(room), state_ms(room), room.state().dump().size()});
    }
    const std::size_t series = room.vitals_series().dump().size();

    // The old way: every reading a session.vitals entry in the state.
    Room old_room(library(dir / "lib2"), dir / "state2", clock);
    old_room.on_change([&](const Json& s) { serialised += s.dump().size(); });
    old_room.start({"s", ""});
    const double old_tap0 = tap_ms(old_room), old_build0 = state_ms(old_room);
    const std::size_t old_state0 = old_room.state().dump().size();
    for (int i = 0; i < 1000; ++i) {
        Command c;
        c.kind = CommandKind::Vitals;
        c.vitals.spo2 = 94 + i % 5;
        c.vitals.hr = 60 + i % 13;
        old_room.command(c);
        clock.advance_by(std::chrono::seconds{1});
    }
    const double old_tap = tap_ms(old_room), old_build = state_ms(old_room);
    const std::size_t old_state = old_room.state().dump().size();

    std::printf("| device readings fed | tap (Hold/Resume, journaled), median ms | state built "
                "and serialised, median ms | GET /state size |\n");
    std::printf("|---|---|---|---|\n");
    for (const auto& r : rows)
        std::printf("| %d | %.3f | %.3f | %.1f KB |\n", r.readings, r.tap, r.build,
                    double(r.state) / 1024);
    // The tablet's trend holds the last hour of minute rows: the state grows for the first
    // 3,600 readings (one a second), then stays. Flat is measured from 5,000 to 10,000.
    const Row& mid = rows[rows.size() - 2];
    const double build_ratio = rows.back().build / mid.build;
    const double tap_ratio = rows.back().tap / mid.tap;
    const double size_ratio = double(rows.back().state) / double(mid.state);
    std::printf("\n| measure | value | goal |\n|---|---|---|\n");
    std::printf("| state size after 10,000 / after 5,000 readings | %.2f | <= 1.05 (flat) |\n",
                size_ratio);
    std::printf("| state build after 10,000 / after 5,000 readings | %.2f | <= 1.5 (flat) |\n",
                build_ratio);
    std::printf("| tap after 10,000 / after 5,000 readings (fdatasync-bound, noisy) | %.2f | "
                "|\n",
                tap_ratio);
    std::printf("| the series endpoint after 10,000 readings | %.1f KB | its own request |\n",
                double(series) / 1024);
    std::printf("| the old way (every reading in session.vitals): tap 0 -> 1,000 | %.3f -> "
                "%.3f ms | |\n",
                old_tap0, old_tap);
    std::printf("| the old way: state build 0 -> 1,000 | %.3f -> %.3f ms | |\n", old_build0,
                old_build);
    std::printf("| the old way: state 0 -> 1,000 readings | %.1f -> %.1f KB | |\n",
                double(old_state0) / 1024, double(old_state) / 1024);
    std::printf("| bad payloads dropped | %llu | 0 |\n",
                static_cast<unsigned long long>(driver.health()["dropped"].get<std::uint64_t>()));
    std::error_code ec;
    fs::remove_all(dir, ec);
    (void)serialised;
    const bool ok = size_ratio <= 1.05 && build_ratio <= 1.5;
    return ok ? 0 : 2;
}
