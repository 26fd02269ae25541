// A mosquitto on loopback that can keep anonymous clients (the room) out while a watcher
// with a password subscribes, then let them in: so a test sees the room's first messages
// after a (re)connect without racing the room to the broker. Light commands are never
// retained, so a subscriber that connects after the room would miss them.
// mosquitto reloads allow_anonymous on SIGHUP (mosquitto.conf(5): "Reloaded on reload
// signal"); a refused client keeps retrying (devices/mqtt_client.cpp, at most 2 s apart).
#pragma once

#include "helpers.hpp"
#include "process.hpp"

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

namespace stillroom::test {

class GatedBroker {
public:
    GatedBroker(const std::filesystem::path& dir, int port)
        : dir_(dir), port_(std::to_string(port)), conf_(dir / "gated-mosquitto.conf") {}

    // Starts the broker with anonymous clients let in (`open`) or refused. Returns once it
    // accepts connections (bounded).
    bool start(bool open) {
        if (!have_passwords_) {
            Process passwd;
            if (!passwd.start({"mosquitto_passwd", "-c", "-b", (dir_ / "passwords").string(),
                               "watcher", "watching"}) ||
                !eventually([&] { return passwd.exited(); }, 100))
                return false;
            have_passwords_ = true;
        }
        write_conf(open);
        return process_.start({"mosquitto", "-c", conf_.string()}) &&
               wait_for_port(std::stoi(port_));
    }
    // Lets anonymous clients in from now on (the running broker reloads its config).
    bool open() {
        write_conf(true);
        return process_.running() && ::kill(process_.pid(), SIGHUP) == 0;
    }
    void kill_hard() { process_.kill_hard(); }
    void stop() { process_.stop(); }

    // Host, port and the watcher's login, for mosquitto_sub / mosquitto_pub.
    std::vector<std::string> watcher_args() const {
        return {"-h", "127.0.0.1", "-p", port_, "-u", "watcher", "-P", "watching"};
    }

private:
    void write_conf(bool open) {
        write_text(conf_,
                   "listener " + port_ + " 127.0.0.1\npersistence false\n" +
                       (open ? std::string("allow_anonymous true\n") : "allow_anonymous false\n") +
                       "password_file " + (dir_ / "passwords").string() + "\n");
    }
    std::filesystem::path dir_;
    std::string port_;
    std::filesystem::path conf_;
    bool have_passwords_ = false;
    Process process_;
};

// Publishes a probe to `probe_topic` until a subscriber writing to `log` shows it (bounded,
// about 60 s; done as soon as it arrives). The broker sends a new subscriber its retained
// messages before anything published later: once the probe is in the log, they are too.
inline bool wait_subscribed(const std::filesystem::path& log, std::vector<std::string> pub_args,
                            const std::string& probe_topic) {
    std::vector<std::string> argv = {"mosquitto_pub"};
    argv.insert(argv.end(), pub_args.begin(), pub_args.end());
    argv.insert(argv.end(), {"-q", "1", "-t", probe_topic, "-m", "probe"});
    return eventually(
        [&] {
            Process probe;
            if (!probe.start(argv)) return false;
            return eventually(
                [&] { return read_text(log).find(probe_topic + " probe") != std::string::npos; },
                30);
        },
        20);
}

} // namespace stillroom::test
