// stillroom check: validate a whole library and list every problem.
#include "app/commands.hpp"
#include "library/library.hpp"

#include <iostream>

namespace stillroom::app {

int cmd_check(const cli::Args& args) {
    const std::string format = args.get("--format", "text");
    if (format != "text" && format != "json") {
        std::cerr << "stillroom check: --format is text or json\n";
        return cli::kUsage;
    }
    Problems problems;
    Library lib = load_library(args.get("--library"), problems);
    check_library(lib, problems);
    const auto errors = problems.error_count();
    const auto warnings = problems.list().size() - errors;
    if (format == "json") {
        Json list = Json::array();
        for (const auto& p : problems.list())
            list.push_back({{"file", p.file},
                            {"path", p.path},
                            {"message", p.message},
                            {"severity", p.severity == Severity::Error ? "error" : "warning"}});
        std::cout << dump_json(Json{{"ok", errors == 0},
                                    {"errors", errors},
                                    {"warnings", warnings},
                                    {"templates", lib.templates.size()},
                                    {"playlists", lib.playlists.size()},
                                    {"scenes", lib.scenes.size()},
                                    {"problems", list}},
                               2)
                  << "\n";
    } else {
        for (const auto& p : problems.list())
            std::cout << p.to_string() << "\n";
        std::cout << (errors ? "FAILED: " : "ok: ") << lib.templates.size()
                  << " session templates, " << lib.playlists.size() << " playlists, "
                  << lib.scenes.size() << " scenes, " << lib.room.lights.size() << " lights; "
                  << errors << " errors, " << warnings << " warnings\n";
    }
    return errors ? cli::kBadInput : cli::kOk;
}

} // namespace stillroom::app
