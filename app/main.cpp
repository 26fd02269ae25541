// stillroom: the room controller's command line. Dispatches to the subcommands.
#include "app/commands.hpp"

#include <algorithm>
#include <iostream>

using namespace stillroom;

namespace {

void print_usage(std::ostream& out) {
    out << "usage: stillroom COMMAND [OPTIONS]\n\n"
           "Stillroom runs one therapy room: music, light and timed cues across a dosing "
           "session.\n\n"
           "commands:\n";
    // One column for every summary, two spaces after the longest name.
    std::size_t width = 0;
    for (const auto& sub : app::subcommands())
        width = std::max(width, sub.spec.name.size());
    for (const auto& sub : app::subcommands()) {
        std::string name = "  " + sub.spec.name;
        name.resize(2 + width + 2, ' ');
        out << name << sub.spec.summary << "\n";
    }
    out << "\nstillroom COMMAND --help shows a command's options.\n"
           "exit codes: 0 ok, 1 bad input or failed check, 2 usage\n";
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        print_usage(std::cerr);
        return cli::kUsage;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        print_usage(std::cout);
        return cli::kOk;
    }
    if (args[0] == "--version") {
        std::cout << "stillroom 0.1.0\n";
        return cli::kOk;
    }
    for (const auto& sub : app::subcommands()) {
        if (sub.spec.name != args[0]) continue;
        auto parsed = cli::parse_args(sub.spec, {args.begin() + 1, args.end()});
        if (!parsed) return cli::kUsage;
        if (parsed->help) {
            std::cout << cli::help_text(sub.spec);
            return cli::kOk;
        }
        try {
            return sub.run(*parsed);
        } catch (const std::exception& e) {
            std::cerr << "stillroom " << args[0] << ": " << e.what() << "\n";
            return cli::kBadInput;
        }
    }
    std::cerr << "stillroom: unknown command \"" << args[0] << "\"\n\n";
    print_usage(std::cerr);
    return cli::kUsage;
}
