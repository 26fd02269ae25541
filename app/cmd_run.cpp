// stillroom run / demo: the room daemon.
#include "app/commands.hpp"
#include "app/console.hpp"
#include "app/demo_broker.hpp"
#include "app/journal_log.hpp"
#include "app/room_services.hpp"
#include "app/systemd_notify.hpp"
#include "app/vitals_simulator.hpp"
#include "library/library_files.hpp"
#include "library/library_last_good.hpp"
#include "runtime/room.hpp"
#include "runtime/state_lock.hpp"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <pthread.h>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace stillroom::app {

namespace fs = std::filesystem;

namespace {

// Finds the bundled example library: beside the executable's source tree or installed.
fs::path find_example_library() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path();
         dir = dir.parent_path()) {
        if (fs::exists(dir / "examples/library/room.json", ec)) return dir / "examples/library";
        if (fs::exists(dir / "share/stillroom/library/room.json", ec))
            return dir / "share/stillroom/library";
        if (fs::exists(dir / "share/stillroom/examples/library/room.json", ec))
            return dir / "share/stillroom/examples/library"; // cmake --install, the package
    }
    return "examples/library";
}

// Copies the bundled library (without its state folder) to `to`, via a temporary folder
// renamed into place, so an interrupted copy is never taken for a finished one.
bool copy_library(const fs::path& from, const fs::path& to, std::string& error) {
    std::error_code ec;
    const fs::path tmp = to.string() + ".partial";
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    if (ec) {
        error = ec.message();
        return false;
    }
    for (const auto& entry : fs::directory_iterator(from, ec)) {
        if (entry.path().filename() == "state") continue;
        fs::copy(entry.path(), tmp / entry.path().filename(), fs::copy_options::recursive, ec);
        if (ec) {
            error = entry.path().string() + ": " + ec.message();
            return false;
        }
    }
    if (ec) {
        error = from.string() + ": " + ec.message();
        return false;
    }
    // Keep the files' times: the loudness cache beside them stays valid (no re-measuring).
    for (const auto& entry : fs::recursive_directory_iterator(tmp, ec)) {
        std::error_code ignore;
        const fs::path source = from / fs::relative(entry.path(), tmp, ignore);
        if (entry.is_regular_file(ignore))
            fs::last_write_time(entry.path(), fs::last_write_time(source, ignore), ignore);
    }
    fs::rename(tmp, to, ec);
    if (ec) error = ec.message();
    return !ec;
}

struct SignalWaiter {
    sigset_t set{};
    SignalWaiter() {
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, nullptr); // every thread started after inherits it
    }
};

struct RunOptions {
    fs::path library_dir;
    fs::path state_dir;
    double speed = 1;
    std::string start;
    bool demo = false;
    bool console = false;
    std::string audio = "portaudio"; // portaudio | null | off
    std::string listen;              // "" = room.json
    // The demo's simulated monitors on the room's broker (app/vitals_simulator.hpp).
    bool simulate_vitals = false;
    bool desaturate = false;
    std::string broker{}; // the demo's local broker (app/demo_broker.hpp); "" = room.json's
};

int run_room(RunOptions o) {
    const fs::path& library_dir = o.library_dir;
    fs::path state_dir = o.state_dir;
    const double speed = o.speed;
    const std::string& start = o.start;
    const bool demo = o.demo;
    const bool console = o.console;
    SignalWaiter signals;
    Problems problems;
    Library lib = load_library(library_dir, problems);
    check_library(lib, problems);
    std::size_t warnings = 0;
    for (const auto& p : problems.list()) {
        if (p.severity == Severity::Error)
            std::cerr << p.to_string() << "\n";
        else
            ++warnings;
    }
    if (problems.error_count())
        std::cerr << "stillroom: the files above have errors and are left out\n";
    if (warnings)
        std::cerr << "stillroom: " << warnings << " warnings (stillroom check --library "
                  << library_dir.string() << " lists them)\n";
    if (state_dir.empty()) state_dir = library_dir / lib.room.state_dir;
    StateDirLock state_lock; // held until run_room returns
    if (std::string lock_error; !state_lock.acquire(state_dir, &lock_error)) {
        std::cerr << "stillroom: " << lock_error << "\n";
        return cli::kBadInput;
    }
    // Files with errors never run: the last library that loaded cleanly does, and says so.
    StartLibrary chosen = choose_start_library(std::move(lib), problems, library_dir, state_dir);
    lib = std::move(chosen.library);
    if (!chosen.note.empty()) std::cerr << "stillroom: " << chosen.note << "\n";
    if (!o.broker.empty()) {
        const bool had_mqtt = lib.room.mqtt.has_value();
        if (std::string error; !add_demo_broker(lib.room, o.broker, &error)) {
            std::cerr << "stillroom: " << error << "\n";
            return cli::kBadInput;
        }
        std::cout << "stillroom: demo: "
                  << (had_mqtt ? "room.json's own broker (--broker " + o.broker + " not used)"
                               : "the broker at " + o.broker)
                  << std::endl;
    }
    if (lib.templates.empty()) {
        std::cerr << "stillroom: no usable session template in " << library_dir.string() << "\n";
        return cli::kBadInput;
    }
    SteadyDeviceClock device_clock;
    JournalLogging journal_logging(device_clock); // under systemd: priorities, rate limit
    std::unique_ptr<Clock> clock;
    if (speed != 1.0)
        clock = std::make_unique<ScaledClock>(speed);
    else
        clock = std::make_unique<SteadyClock>();
    RoomServicesOptions so;
    so.state_dir = state_dir;
    so.audio = speed != 1.0 ? "off" : o.audio;
    so.null_audio_when_no_device = demo;
    so.listen = o.listen;
    so.library_in_force = chosen.in_force;
    so.library_problems = library_errors_json(problems);
    so.library_has_errors = chosen.has_errors;
    if (!o.broker.empty())
        so.adjust_library = [broker = o.broker](Library& reloaded) {
            add_demo_broker(reloaded.room, broker, nullptr); // the URL was checked at start
        };
    std::string listen_host; // checked before any device opens
    if (!o.listen.empty() && o.listen != "off") {
        int listen_port = 0;
        cli::apply_listen(o.listen, listen_host, listen_port);
    }
    if (speed != 1.0 && lib.room.audio && o.audio != "off")
        std::cerr << "stillroom: audio is off with --speed (music cannot be sped up); render plays "
                     "a session fast\n";
    const std::string room_id = lib.room.room;
    // Under systemd (Type=notify): READY, STATUS and the engine's watchdog pings.
    SystemdNotifier notifier(device_clock);
    if (auto every = notifier.ping_every()) {
        so.engine_turn = [&notifier] { notifier.engine_turn(); };
        so.engine_turn_every = *every;
    }
    notifier.status("starting room " + room_id);
    RoomServices services(std::move(lib), so, *clock, device_clock);
    Room& room = services.room();
    room.on_reminder([](const Reminder& r) {
        std::cout << "REMINDER: " << r.text << (r.vitals ? " (enter vitals)" : "") << std::endl;
    });
    std::cout << "stillroom: room " << room_id << ", library " << library_dir.string() << ", state "
              << state_dir.string() << std::endl;
    auto resumed = services.start();
    std::string serving = "room " + room_id + ": tablet off";
    if (services.http()) {
        const auto& control = room.library().room.control;
        std::string host = o.listen.empty() ? control.host : listen_host;
        if (host.find(':') != std::string::npos)
            host = "[" + host + "]"; // an IPv6 address in a URL
        std::cout << "stillroom: tablet at " << (control.tls ? "https" : "http") << "://" << host
                  << ":" << services.http()->port() << "/" << std::endl;
        serving = "room " + room_id + " serving the tablet on port " +
                  std::to_string(services.http()->port());
        if (demo)
            std::cout << "stillroom: demo PINs: 2468 (clinic: everything), 1357 (therapist), 8642 "
                         "(curator)"
                      << std::endl;
    }
    if (auto id = resumed) {
        std::cout << "stillroom: resumed session " << *id << std::endl;
    } else if (!start.empty()) {
        CommandResult r = room.start({start, demo ? "demo" : ""});
        if (!r.ok) {
            std::cerr << "stillroom: cannot start \"" << start << "\": " << r.message << "\n";
            return cli::kBadInput;
        }
    }
    notifier.ready(resumed ? serving + "; resumed its unfinished session" : serving);
    if (console) {
        // Detached: blocked in a read of stdin until the process ends.
        std::thread([&room] { run_console(room, std::cin, std::cout); }).detach();
    }
    // The demo's monitors: the simulator on a thread of its own (signals stay blocked in it).
    std::atomic<bool> vitals_stop{false};
    Wakeup vitals_wakeup;
    std::thread vitals_thread;
    if (o.simulate_vitals) {
        const Library& running = room.library();
        if (running.room.mqtt && running.room.vitals) {
            std::cout << "stillroom: demo: simulated monitors publish to the room's broker"
                      << (o.desaturate ? " (a desaturation episode from 20 s)" : "")
                      << "; --no-vitals: none" << std::endl;
            VitalsSimulation sim;
            sim.desaturate = o.desaturate;
            sim.cuff_every_s = 60;
            sim.speed = speed;
            sim.stop = &vitals_stop;
            sim.wakeup = &vitals_wakeup;
            vitals_thread = std::thread([running, sim, &device_clock] {
                std::ostringstream why;
                if (!run_vitals_simulator(running, sim, device_clock, why))
                    std::cerr << "stillroom: demo: no simulated monitors: " << why.str();
            });
        } else {
            std::cout << "stillroom: demo: no live vitals (room.json has no \"mqtt\" and "
                         "\"vitals\" sections and no --broker; docs/vitals.md)"
                      << std::endl;
        }
    }
    int sig = 0;
    sigwait(&signals.set, &sig);
    if (vitals_thread.joinable()) {
        vitals_stop = true;
        vitals_wakeup.wake();
        vitals_thread.join();
    }
    std::cout << "stillroom: stopping (signal " << sig
              << "); an unfinished session resumes on the next start" << std::endl;
    notifier.stopping("room " + room_id + " stopping");
    services.stop();
    return cli::kOk;
}

double parse_speed(const cli::Args& args) {
    const std::string s = args.get("--speed", "1");
    try {
        const double v = std::stod(s);
        if (v >= 1 && v <= 10000) return v;
    } catch (const std::exception&) {
    }
    throw std::invalid_argument("--speed expects a number from 1 to 10000, got \"" + s + "\"");
}

} // namespace

std::string parse_audio(const cli::Args& args) {
    const std::string a = args.get("--audio", "portaudio");
    if (a != "portaudio" && a != "null" && a != "off")
        throw std::invalid_argument("--audio expects portaudio, null or off, got \"" + a + "\"");
    return a;
}

int cmd_run(const cli::Args& args) {
    return run_room({args.get("--library"), args.get("--state-dir"), parse_speed(args),
                     args.get("--start"), false, args.has("--console"), parse_audio(args),
                     args.get("--listen")});
}

// The demo's own folder: $XDG_STATE_HOME/stillroom/demo, else ~/.local/state/stillroom/demo
// (also where `stillroom report` looks for the demo's journals).
fs::path demo_home() {
    const char* xdg = std::getenv("XDG_STATE_HOME");
    if (xdg && *xdg && fs::path(xdg).is_absolute()) return fs::path(xdg) / "stillroom" / "demo";
    const char* home = std::getenv("HOME");
    if (home && *home) return fs::path(home) / ".local" / "state" / "stillroom" / "demo";
    return fs::temp_directory_path() / "stillroom-demo";
}

int cmd_demo(const cli::Args& args) {
    fs::path library = args.get("--library");
    fs::path state = args.get("--state-dir");
    if (library.empty() || state.empty()) {
        // One persistent place per user for the demo's editable library and its state, so
        // a session resumes on the next start and the tracked examples are never rewritten.
        const fs::path home = demo_home();
        std::error_code ec;
        if (library.empty()) {
            library = home / "library";
            if (!fs::exists(library / "room.json", ec)) {
                const fs::path bundled = find_example_library();
                std::string error;
                if (!copy_library(bundled, library, error)) {
                    std::cerr << "stillroom demo: cannot copy the example library to "
                              << library.string() << ": " << error << "\n";
                    return cli::kBadInput;
                }
                std::cout << "stillroom: demo: copied the example library from " << bundled.string()
                          << std::endl;
            }
        }
        if (state.empty()) state = home / "state";
        std::cout << "stillroom: demo: library " << library.string() << ", state " << state.string()
                  << " (an unfinished session resumes on the next start; delete " << home.string()
                  << " to start afresh)" << std::endl;
    }
    return run_room(
        {library, state, parse_speed(args), args.has("--no-start") ? "" : args.get("--start"), true,
         isatty(STDIN_FILENO) || args.has("--console"), parse_audio(args), args.get("--listen"),
         !args.has("--no-vitals"), args.has("--desaturate"), args.get("--broker")});
}

} // namespace stillroom::app
