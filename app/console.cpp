// The room console.
#include "app/console.hpp"

#include "engine/duration.hpp"

#include <sstream>

namespace stillroom {

namespace {

const char* kHelp =
    "commands: start TEMPLATE | dose | booster | next [PHASE] | hold | resume | extend SECONDS |\n"
    "          comfort [off] | lights-up [off] | volume DB | skip | ack CUE | vitals SYS DIA HR "
    "SPO2 |\n"
    "          observe CODE | end | state | templates | help";

void print_state(Room& room, std::ostream& out) {
    const Json s = room.state();
    const Json& session = s["session"];
    if (session.is_null()) {
        out << "no session; start one of the templates\n";
        return;
    }
    out << "session " << session["id"].get<std::string>() << " ("
        << session["template"].get<std::string>() << ") " << session["status"].get<std::string>()
        << ", phase " << session["phase"]["id"].get<std::string>() << " "
        << format_clock(Ms{static_cast<Ms::rep>(session["phase"]["elapsed"].get<double>() * 1000)})
        << " of "
        << format_clock(Ms{static_cast<Ms::rep>(session["phase"]["planned"].get<double>() * 1000)});
    if (!session["since_dose"].is_null())
        out << ", dose +"
            << format_clock(Ms{static_cast<Ms::rep>(session["since_dose"].get<double>() * 1000)});
    if (session["held"].get<bool>()) out << ", HELD";
    if (session["comfort"].get<bool>()) out << ", COMFORT";
    if (session["lights_up"].get<bool>()) out << ", LIGHTS UP";
    out << "\n";
    if (!session["now_playing"].is_null())
        out << "  playing " << session["now_playing"]["file"].get<std::string>() << "\n";
    for (const auto& r : session["reminders"])
        out << "  reminder (ack " << r["cue"] << "): " << r["text"].get<std::string>() << "\n";
}

} // namespace

void run_console_line(Room& room, const std::string& line, std::ostream& out) {
    std::istringstream words(line);
    std::string verb;
    if (!(words >> verb)) return;
    std::vector<std::string> rest;
    for (std::string w; words >> w;)
        rest.push_back(w);
    try {
        if (verb == "help" || verb == "?") {
            out << kHelp << "\n";
            return;
        }
        if (verb == "state") {
            print_state(room, out);
            return;
        }
        if (verb == "templates") {
            const Json state = room.state(); // alive for the whole loop
            for (const auto& t : state["templates"])
                out << "  " << t["id"].get<std::string>() << ": " << t["name"].get<std::string>()
                    << "\n";
            return;
        }
        if (verb == "start") {
            if (rest.empty()) {
                out << "start which template? (templates lists them)\n";
                return;
            }
            CommandResult r = room.start_by({rest[0], ""}, "console");
            out << (r.ok ? "started" : "refused: " + r.message) << "\n";
            return;
        }
        Json args = Json::object();
        std::string name = verb;
        if (verb == "booster") name = "dose", args["booster"] = true;
        if ((verb == "comfort" || verb == "lights-up") && !rest.empty())
            args["on"] = rest[0] != "off";
        if (verb == "next" && !rest.empty()) args["phase"] = rest[0];
        if (verb == "extend" && !rest.empty()) args["seconds"] = std::stod(rest[0]);
        if (verb == "volume" && !rest.empty()) args["db"] = std::stod(rest[0]);
        if (verb == "ack" && !rest.empty()) args["cue"] = std::stoi(rest[0]);
        if (verb == "observe" && !rest.empty()) args["code"] = rest[0];
        if (verb == "vitals") {
            const char* keys[] = {"systolic", "diastolic", "hr", "spo2"};
            for (std::size_t i = 0; i < rest.size() && i < 4; ++i)
                args[keys[i]] = std::stoi(rest[i]);
        }
        auto kind = command_kind_from_name(name);
        if (!kind) {
            out << "unknown command \"" << verb << "\"\n" << kHelp << "\n";
            return;
        }
        Problems problems;
        auto cmd = parse_command(*kind, args, problems);
        if (!cmd) {
            out << "bad arguments: " << problems.to_string();
            return;
        }
        CommandResult r = room.command_by(*cmd, "console");
        out << (r.ok ? "ok" : "refused") << (r.message.empty() ? "" : ": " + r.message) << "\n";
    } catch (const std::exception&) {
        out << "bad number in \"" << line << "\"\n";
    }
}

void run_console(Room& room, std::istream& in, std::ostream& out) {
    out << "console ready (type help)" << std::endl;
    for (std::string line; std::getline(in, line);) {
        run_console_line(room, line, out);
        out.flush();
    }
}

} // namespace stillroom
