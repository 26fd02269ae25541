// stillroom report: the session record for clinical notes, from the journal.
#include "app/commands.hpp"
#include "library/library.hpp"
#include "record/report.hpp"
#include "record/report_store.hpp"

#include <iostream>

namespace stillroom::app {

std::filesystem::path demo_home(); // cmd_run.cpp

int cmd_report(const cli::Args& args) {
    const std::string format = args.get("--format", "json");
    if (format != "json" && format != "csv" && format != "html" && format != "fhir") {
        std::cerr << "stillroom report: --format is json, csv, html or fhir\n";
        return cli::kUsage;
    }
    const std::string id = args.positional.at(0);
    if (!is_valid_session_id(id)) {
        std::cerr << "stillroom report: \"" << id
                  << "\" is not a session id (like s-7f3a9c21d4e8)\n";
        return cli::kUsage;
    }
    std::filesystem::path state_dir = args.get("--state-dir");
    if (state_dir.empty() && args.has("--library")) {
        Problems problems;
        Library lib = load_library(args.get("--library"), problems);
        state_dir = lib.dir / lib.room.state_dir;
    }
    if (state_dir.empty()) state_dir = "state";
    auto report = load_session_report(state_dir, id);
    if (!report && !args.has("--state-dir")) {
        // `stillroom demo` keeps its state in its own folder unless given --state-dir.
        const std::filesystem::path demo_state = demo_home() / "state";
        report = load_session_report(demo_state, id);
        if (report)
            std::cerr << "stillroom report: " << id << " is the demo's: its journal is in "
                      << (demo_state / "sessions").string() << "\n";
    }
    if (!report) {
        std::cerr << "stillroom report: no journal for session " << id << " in "
                  << (state_dir / "sessions").string() << " (nor in the demo's state, "
                  << (demo_home() / "state" / "sessions").string()
                  << "); give the room's state folder with --state-dir DIR\n";
        return cli::kBadInput;
    }
    if (report->contains("error")) {
        std::cerr << "stillroom report: " << id << ": " << (*report)["error"].get<std::string>()
                  << "\n";
        return cli::kBadInput;
    }
    if (format == "csv")
        std::cout << report_csv(*report);
    else if (format == "html")
        std::cout << report_html(*report);
    else if (format == "fhir")
        std::cout << report_fhir(*report).dump(2) << "\n";
    else
        std::cout << report->dump(2) << "\n";
    return cli::kOk;
}

} // namespace stillroom::app
