// stillroom plan: the planned timeline of one session template.
#include "app/commands.hpp"
#include "engine/plan.hpp"
#include "library/library.hpp"

#include <iostream>

namespace stillroom::app {

int cmd_plan(const cli::Args& args) {
    const std::string format = args.get("--format", "text");
    if (format != "text" && format != "json") {
        std::cerr << "stillroom plan: --format is text or json\n";
        return cli::kUsage;
    }
    const std::string name = args.get("--session");
    Problems problems;
    Library lib = load_library(args.get("--library"), problems);
    auto setup = lib.make_setup(name, "plan", "", 1);
    if (!setup) {
        bool reported = false;
        for (const auto& p : problems.list()) {
            if (p.file == "sessions/" + name + ".json" || p.file == "room.json") {
                std::cerr << p.to_string() << "\n";
                reported = true;
            }
        }
        if (!reported)
            std::cerr << "stillroom plan: no session template \"" << name << "\" in "
                      << lib.dir.string() << "/sessions\n";
        return cli::kBadInput;
    }
    const Plan plan = build_plan(*setup);
    if (format == "json") {
        for (const auto& line : plan.lines)
            std::cout << dump_json(plan_line_json(line)) << "\n";
    } else {
        std::cout << plan_text(plan, setup->tmpl);
    }
    return cli::kOk;
}

} // namespace stillroom::app
