// Command-line parsing.
#include "app/cli.hpp"

#include "library/room_config.hpp"

#include <iostream>

namespace stillroom::cli {

std::string Args::get(const std::string& name, const std::string& fallback) const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
}

std::string help_text(const CommandSpec& spec) {
    std::string out = "usage: " + spec.usage + "\n\n" + spec.summary + "\n";
    if (!spec.options.empty()) {
        out += "\noptions:\n";
        for (const auto& o : spec.options) {
            std::string left = "  " + o.name + (o.value.empty() ? "" : " " + o.value);
            if (left.size() < 26)
                left.resize(26, ' ');
            else
                left += "  ";
            out += left + o.help + (o.required ? " (required)" : "") + "\n";
        }
    }
    out += "  --help                  show this help\n";
    return out;
}

std::optional<Args> parse_args(const CommandSpec& spec, const std::vector<std::string>& argv) {
    Args args;
    auto fail = [&](const std::string& msg) -> std::optional<Args> {
        std::cerr << "stillroom " << spec.name << ": " << msg << "\nusage: " << spec.usage
                  << "\n(see stillroom " << spec.name << " --help)\n";
        return std::nullopt;
    };
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a == "--help" || a == "-h") {
            args.help = true;
            return args;
        }
        if (a.rfind("--", 0) == 0) {
            std::string name = a;
            std::optional<std::string> inline_value;
            if (auto eq = a.find('='); eq != std::string::npos) {
                name = a.substr(0, eq);
                inline_value = a.substr(eq + 1);
            }
            const OptionSpec* opt = nullptr;
            for (const auto& o : spec.options)
                if (o.name == name) opt = &o;
            if (!opt) return fail("unknown option " + name);
            if (opt->value.empty()) {
                if (inline_value) return fail(name + " takes no value");
                args.options[name] = "1";
            } else if (inline_value) {
                args.options[name] = *inline_value;
            } else {
                if (i + 1 >= argv.size()) return fail(name + " needs a value (" + opt->value + ")");
                args.options[name] = argv[++i];
            }
            if (!opt->value.empty()) args.repeated[name].push_back(args.options[name]);
            continue;
        }
        args.positional.push_back(a);
    }
    for (const auto& o : spec.options)
        if (o.required && !args.has(o.name)) return fail("missing " + o.name + " " + o.value);
    if (static_cast<int>(args.positional.size()) < spec.positional_min)
        return fail("missing argument");
    if (static_cast<int>(args.positional.size()) > spec.positional_max)
        return fail("unexpected argument \"" +
                    args.positional[static_cast<std::size_t>(spec.positional_max)] + "\"");
    return args;
}

void apply_listen(const std::string& value, std::string& host, int& port) {
    if (!parse_host_port(value, host, port))
        throw std::invalid_argument("--listen expects HOST:PORT, got \"" + value + "\"");
}

} // namespace stillroom::cli
