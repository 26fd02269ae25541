// bench_hostile's access scenarios (issue 25 items 2 and 3): the therapist (127.0.0.1) taps
// Comfort on a fresh connection every 50 ms while (a) 1024 trickling sockets from 4 addresses
// try to hold the connection cap, (b) 2048 from 64 addresses fill every stranger slot, (c)
// 88 addresses send wrong PINs as fast as they are answered; in (c) the tablet also logs in
// with its device cookie. Each prints the tap's p50/p99/max (goal p99 < 100 ms, none failed).
#pragma once

#include "../tests/integration/raw_http.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <list>
#include <string>
#include <thread>
#include <vector>

namespace stillroom::bench {

struct Scenario {
    std::string name;
    std::vector<double> taps_ms;
    int failed = 0;
    std::string load; // what the load achieved, in words
};

// slow_sockets(port, count, stop, open_now, first address, addresses) from bench_hostile.cpp.
using SlowSockets = void (*)(int, int, const std::atomic<bool>&, std::atomic<int>&, int, int);

inline double percentile(std::vector<double> v, double p) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// `n` Comfort taps 50 ms apart, each on a fresh connection. `headers` carry the token.
inline void comfort_taps(int port, const std::string& headers, int n, Scenario& out) {
    using Wall = std::chrono::steady_clock; // benchmarks measure real time by design
    bool on = true;
    for (int i = 0; i < n; ++i) {
        const auto t0 = Wall::now();
        test::RawReply r =
            test::raw_request("127.0.0.1", port, "POST", "/api/v1/session/comfort", headers,
                              on ? R"({"on":true})" : R"({"on":false})", 5000);
        const double took = std::chrono::duration<double, std::milli>(Wall::now() - t0).count();
        if (r.status == 200)
            out.taps_ms.push_back(took);
        else
            ++out.failed;
        on = !on;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

inline Scenario trickle_scenario(int port, const std::string& headers, SlowSockets slow,
                                 int addresses, int per_address, int taps) {
    Scenario s;
    const int count = addresses * per_address;
    s.name = std::to_string(count) + " trickling sockets, " + std::to_string(addresses) + " addr";
    std::atomic<bool> stop{false};
    std::atomic<int> open_now{0};
    std::thread load([&] { slow(port, count, stop, open_now, 100, addresses); });
    std::this_thread::sleep_for(std::chrono::seconds(3)); // every socket connected at least once
    const int before = open_now.load();
    comfort_taps(port, headers, taps, s);
    stop = true;
    load.join();
    s.load = std::to_string(before) + " of " + std::to_string(count) +
             " open at the client before the taps (the rest cut by the caps)";
    return s;
}

inline Scenario login_flood_scenario(int port, const std::string& headers, std::string device,
                                     int taps) {
    Scenario s;
    s.name = "wrong-PIN flood, 88 addr";
    std::atomic<bool> stop{false};
    std::atomic<long> answers{0}, refused_503{0};
    std::list<std::thread> flood;
    for (int a = 0; a < 88; ++a)
        flood.emplace_back([&, a] {
            const std::string from = "127.0.0." + std::to_string(100 + a);
            while (!stop) {
                test::RawReply r = test::raw_request(from, port, "POST", "/api/v1/login",
                                                     "Content-Type: application/json\r\n",
                                                     R"({"pin":"0000"})", 5000);
                ++answers;
                if (r.status == 503) ++refused_503;
            }
        });
    using Wall = std::chrono::steady_clock;
    const auto t0 = Wall::now();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    comfort_taps(port, headers, taps, s);
    // The tablet logs in again with its device cookie, five times, during the flood.
    int logins_ok = 0;
    std::vector<double> login_ms;
    for (int i = 0; i < 5; ++i) {
        const auto l0 = Wall::now();
        test::RawReply r = test::raw_request(
            "127.0.0.1", port, "POST", "/api/v1/login", "Content-Type: application/json\r\n",
            std::string(R"({"pin":"1357","device":")") + device + "\"}", 10000);
        login_ms.push_back(std::chrono::duration<double, std::milli>(Wall::now() - l0).count());
        if (r.status == 200) {
            ++logins_ok;
            const auto at = r.body.find("\"device\":\"");
            if (at != std::string::npos) device = r.body.substr(at + 10, 32);
        }
    }
    stop = true;
    for (auto& t : flood)
        t.join();
    const double secs = std::chrono::duration<double>(Wall::now() - t0).count();
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%.0f wrong-PIN logins/s answered (%ld got 503); tablet logins with its device "
                  "%d of 5, max %.0f ms",
                  static_cast<double>(answers.load()) / secs, refused_503.load(), logins_ok,
                  percentile(login_ms, 1.0));
    s.load = buf;
    if (logins_ok != 5) s.failed += 5 - logins_ok;
    return s;
}

// Prints the scenarios' table; true when every one met the goal.
inline bool print_scenarios(const std::vector<Scenario>& scenarios) {
    std::printf("\naccess scenarios: the therapist's tap (POST /session/comfort), ms\n");
    std::printf("%-40s %8s %8s %8s %5s %7s  %s\n", "", "p50", "p99", "max", "n", "failed", "goal");
    bool all = true;
    for (const auto& s : scenarios) {
        const double p99 = percentile(s.taps_ms, 0.99);
        const bool met = p99 >= 0 && p99 < 100.0 && s.failed == 0;
        all = all && met;
        std::printf("%-40s %8.2f %8.2f %8.2f %5zu %7d  %s\n", s.name.c_str(),
                    percentile(s.taps_ms, 0.5), p99, percentile(s.taps_ms, 1.0), s.taps_ms.size(),
                    s.failed, met ? "MET" : "MISSED");
        std::printf("    load: %s\n", s.load.c_str());
    }
    return all;
}

} // namespace stillroom::bench
