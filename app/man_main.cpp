// stillroom-man: writes the man pages (roff, man(7) macros) from the subcommand table, so a
// page never says other than --help: stillroom.1 and stillroom-COMMAND.1 for each command.
// A build tool (cmake target stillroom-man); `cmake --install` installs what it wrote.
// usage: stillroom-man OUT_DIR VERSION
#include "app/commands.hpp"

#include <cctype>
#include <fstream>
#include <iostream>

using namespace stillroom;

namespace {

// Text as roff: backslashes escaped, a leading '.' or '\'' defused, '-' as a real hyphen.
std::string roff(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
    }
    if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
    return out;
}

std::string upper(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

const char* kSeeAlso = "See /usr/share/doc/stillroom/README.md (and docs/ beside it) for the "
                       "library format, the tablet, the clinic overview and the service.";

void header(std::ostream& out, const std::string& name, const std::string& version) {
    out << ".TH " << upper(name) << " 1 \"\" \"stillroom " << version << "\" \"Stillroom\"\n";
}

bool write_command(const std::string& dir, const app::Subcommand& sub, const std::string& version) {
    const auto& spec = sub.spec;
    const std::string name = "stillroom-" + spec.name;
    std::ofstream out(dir + "/" + name + ".1");
    header(out, name, version);
    out << ".SH NAME\n" << roff(name) << " \\- " << roff(spec.summary) << "\n";
    out << ".SH SYNOPSIS\n" << roff(spec.usage) << "\n";
    out << ".SH DESCRIPTION\n" << roff(spec.summary) << ".\n";
    if (!spec.options.empty()) {
        out << ".SH OPTIONS\n";
        for (const auto& o : spec.options) {
            out << ".TP\n.B " << roff(o.name)
                << (o.value.empty() ? "" : " \\fI" + roff(o.value) + "\\fR") << "\n"
                << roff(o.help) << (o.required ? " (required)" : "") << "\n";
        }
    }
    out << ".SH EXIT STATUS\n0 ok, 1 bad input or failed check, 2 usage.\n";
    out << ".SH SEE ALSO\n.BR stillroom (1)\n.PP\n" << roff(kSeeAlso) << "\n";
    return static_cast<bool>(out);
}

bool write_index(const std::string& dir, const std::string& version) {
    std::ofstream out(dir + "/stillroom.1");
    header(out, "stillroom", version);
    out << ".SH NAME\nstillroom \\- a room controller for psychedelic\\-assisted therapy\n";
    out << ".SH SYNOPSIS\nstillroom COMMAND [OPTIONS]\n";
    out << ".SH DESCRIPTION\nStillroom runs one therapy room: music, light and timed cues across "
           "a dosing session. One service instance per room: systemctl enable \\-\\-now "
           "stillroom@ROOM reads the library in /etc/stillroom/ROOM and keeps its journals in "
           "/var/lib/stillroom/ROOM.\n";
    out << ".SH COMMANDS\n";
    for (const auto& sub : app::subcommands())
        out << ".TP\n.BR stillroom\\-" << roff(sub.spec.name) << " (1)\n"
            << roff(sub.spec.summary) << "\n";
    out << ".SH EXIT STATUS\n0 ok, 1 bad input or failed check, 2 usage.\n";
    out << ".SH SEE ALSO\n" << roff(kSeeAlso) << "\n";
    return static_cast<bool>(out);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: stillroom-man OUT_DIR VERSION\n";
        return 2;
    }
    bool ok = write_index(argv[1], argv[2]);
    for (const auto& sub : app::subcommands())
        ok = write_command(argv[1], sub, argv[2]) && ok;
    if (!ok) std::cerr << "stillroom-man: cannot write into " << argv[1] << "\n";
    return ok ? 0 : 1;
}
