// The real `stillroom run` binary on a loopback port, for the access tests: a small library
// (one simulated light, one scene, one template that waits for the therapist), audio off,
// four users: therapist t (1357), curator c (8642), clinic k (2468) and clinic k2 (3579).
#pragma once

#include "../unit/temp_dir.hpp"
#include "helpers.hpp"
#include "process.hpp"
#include "raw_http.hpp"

#include "control/auth.hpp"
#include "engine/json_reader.hpp"

#include <doctest/doctest.h>

#include <sys/resource.h>

#include <string>

namespace stillroom::test {

inline Json access_users() {
    return Json::array({{{"name", "t"}, {"role", "therapist"}, {"pin_hash", hash_pin("1357")}},
                        {{"name", "c"}, {"role", "curator"}, {"pin_hash", hash_pin("8642")}},
                        {{"name", "k"}, {"role", "clinic"}, {"pin_hash", hash_pin("2468")}},
                        {{"name", "k2"}, {"role", "clinic"}, {"pin_hash", hash_pin("3579")}}});
}

struct RoomProcess {
    TempDir dir;
    int port = free_loopback_port();
    Process process;
    std::filesystem::path lib() const { return dir.path / "lib"; }

    RoomProcess() {
        write_text(
            lib() / "room.json",
            Json{{"room", "access"},
                 {"lights", Json::array({{{"id", "lamp"}, {"dialect", "simulated"}}})},
                 {"control",
                  {{"listen", "127.0.0.1:" + std::to_string(port)}, {"users", access_users()}}}}
                .dump(2));
        write_text(lib() / "scenes/calm.json", R"({"lights":{"*":{"on":true,"brightness":0.2}}})");
        write_text(
            lib() / "sessions/s.json",
            R"({"name":"S","phases":[{"id":"one","name":"One","until":"therapist","duration":"1h","scene":"calm"}]})");
    }
    ~RoomProcess() { process.stop(); }

    void start() {
        REQUIRE(process.start({STILLROOM_EXE, "run", "--library", lib().string(), "--state-dir",
                               (dir.path / "state").string(), "--audio", "off"},
                              (dir.path / "room.log").string(), true));
        REQUIRE_MESSAGE(wait_for_port(port), read_text(dir.path / "room.log"));
    }
    void kill_hard() { process.kill_hard(); }

    RawReply login(const std::string& from, const std::string& pin,
                   const std::string& device = "") {
        Json body = {{"pin", pin}};
        if (!device.empty()) body["device"] = device;
        return raw_request(from, port, "POST", "/api/v1/login",
                           "Content-Type: application/json\r\n", body.dump());
    }
    // A token for `pin` from 127.0.0.1 (the therapist's tablet).
    std::string token(const std::string& pin) {
        RawReply r = login("127.0.0.1", pin);
        REQUIRE_MESSAGE(r.status == 200, r.head << r.body);
        return Json::parse(r.body)["token"].get<std::string>();
    }
    RawReply call(const std::string& method, const std::string& path, const std::string& token,
                  const std::string& body = "", const std::string& from = "127.0.0.1") {
        return raw_request(
            from, port, method, path,
            "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n", body);
    }
};

// Room for many sockets in this test process.
inline void raise_open_files() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

} // namespace stillroom::test
