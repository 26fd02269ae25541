// A structured observation reaches the journal (and so the report) by every path a room
// offers besides HTTP (tested in test_reports.cpp): the room's MQTT command topic on a real
// mosquitto broker, and the console. Codes outside the template's vocabulary are refused
// and never journaled.
#include "../unit/temp_dir.hpp"
#include "helpers.hpp"
#include "process.hpp"

#include "app/console.hpp"
#include "record/report_store.hpp"
#include "services.hpp"

#include <doctest/doctest.h>

#include <sstream>

using namespace stillroom;
using namespace stillroom::test;
namespace fs = std::filesystem;

namespace {

// The observation codes the journal holds for `id`, in order.
std::vector<std::string> observed(const fs::path& state_dir, const std::string& id) {
    std::vector<std::string> codes;
    if (auto r = load_session_report(state_dir, id))
        for (const auto& o : (*r)["observations"])
            codes.push_back(o.value("code", ""));
    return codes;
}

} // namespace

TEST_CASE(
    "observations over MQTT and the console are journaled and reported; unknown codes refused") {
    const int port = free_loopback_port();
    TempDir dir;
    Broker broker(dir.path.string(), port);
    REQUIRE(broker.start());
    const fs::path lib_dir = dir.path / "lib";
    write_text(lib_dir / "room.json", R"({"room":"observe-test","name":"Observe",
      "mqtt":{"url":"mqtt://127.0.0.1:)" + std::to_string(port) +
                                          R"(","base_topic":"stillroom/o"},
      "lights":[{"id":"sim","dialect":"simulated"}]})");
    write_text(lib_dir / "scenes/calm.json", R"({"lights":{"*":{"on":true,"brightness":0.2}}})");
    write_text(lib_dir / "sessions/rems.json",
               R"({"name":"REMS","observations":["nausea","sedation","dissociation"],
                   "phases":[{"id":"watch","until":"therapist","duration":"2h","scene":"calm"}],"end":{"fade":"1s"}})");
    Problems problems;
    Library lib = load_library(lib_dir, problems);
    INFO(problems.to_string());
    REQUIRE(problems.error_count() == 0);
    SteadyClock clock;
    SteadyDeviceClock device_clock;
    const fs::path state_dir = dir.path / "state";
    RoomServices services(std::move(lib), test_room_options(state_dir, "off"), clock, device_clock);
    services.start();
    REQUIRE(eventually([&] { return services.mqtt()->connected(); }, 50));
    REQUIRE(services.room().start({"rems", ""}).ok);
    const std::string id = services.room().state()["session"]["id"].get<std::string>();
    const std::string p = std::to_string(port);
    auto publish = [&](const std::string& payload) {
        Process pub;
        REQUIRE(pub.start({"mosquitto_pub", "-h", "127.0.0.1", "-p", p, "-t",
                           "stillroom/o/cmd/observe", "-m", payload}));
        REQUIRE(eventually([&] { return pub.exited(); }, 50));
    };

    SUBCASE("MQTT: the room's observe command topic") {
        publish(R"({"code":"headache"})"); // not in the template's vocabulary: refused
        publish(R"({"code":"nausea"})");
        REQUIRE(eventually([&] { return observed(state_dir, id).size() == 1; }, 50));
        CHECK(observed(state_dir, id) == std::vector<std::string>{"nausea"});
        publish(R"({"code":"dissociation"})");
        REQUIRE(eventually([&] { return observed(state_dir, id).size() == 2; }, 50));
        CHECK(observed(state_dir, id) == std::vector<std::string>{"nausea", "dissociation"});
    }

    SUBCASE("console: observe CODE") {
        std::ostringstream out;
        run_console_line(services.room(), "observe headache", out);
        CHECK(out.str().rfind("refused", 0) == 0);
        CHECK(out.str().find("headache") != std::string::npos);
        out.str("");
        run_console_line(services.room(), "observe", out);
        CHECK(out.str().find("bad arguments") != std::string::npos);
        out.str("");
        run_console_line(services.room(), "observe sedation", out);
        CHECK(out.str() == "ok\n");
        REQUIRE(eventually([&] { return observed(state_dir, id).size() == 1; }, 50));
        CHECK(observed(state_dir, id) == std::vector<std::string>{"sedation"});
    }

    // Either way, the ended session's report lists what was marked, by code, with its time.
    Command end;
    end.kind = CommandKind::End;
    REQUIRE(services.room().command(end).ok);
    const auto report = load_session_report(state_dir, id);
    REQUIRE(report);
    REQUIRE_FALSE((*report)["observations"].empty());
    for (const auto& o : (*report)["observations"]) {
        CHECK(o["t_s"].is_number());
        CHECK(o["phase"] == "watch");
    }
    services.stop();
}
