// Command-line plumbing shared by the subcommands: argument parsing, help, exit codes.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace stillroom::cli {

// Exit codes (DESIGN.md): 0 ok, 1 bad input or failed check, 2 usage.
inline constexpr int kOk = 0;
inline constexpr int kBadInput = 1;
inline constexpr int kUsage = 2;

struct OptionSpec {
    std::string name;  // "--library"
    std::string value; // "DIR"; empty for a flag
    std::string help;
    bool required = false;
};

struct CommandSpec {
    std::string name;    // "plan"
    std::string summary; // one line
    std::string usage;   // "stillroom plan --library DIR --session NAME [--format text|json]"
    std::vector<OptionSpec> options;
    int positional_min = 0;
    int positional_max = 0;
};

struct Args {
    std::map<std::string, std::string> options;               // "--library" -> "examples/library"
    std::map<std::string, std::vector<std::string>> repeated; // every value given, in order
    std::vector<std::string> positional;
    bool help = false;

    bool has(const std::string& name) const { return options.count(name) != 0; }
    std::string get(const std::string& name, const std::string& fallback = {}) const;
    // Every value of an option given more than once (--host a --host b), in order.
    std::vector<std::string> values(const std::string& name) const {
        auto it = repeated.find(name);
        return it == repeated.end() ? std::vector<std::string>{} : it->second;
    }
};

// Parses argv after the command name. On a usage error prints it with the usage line and
// returns nullopt (the caller exits kUsage).
std::optional<Args> parse_args(const CommandSpec& spec, const std::vector<std::string>& argv);
std::string help_text(const CommandSpec& spec);

// --listen HOST:PORT (run, demo, clinic): sets host and port, or throws
// std::invalid_argument naming the flag and the value.
void apply_listen(const std::string& value, std::string& host, int& port);

} // namespace stillroom::cli
