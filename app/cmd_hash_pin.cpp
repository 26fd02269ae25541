// stillroom hash-pin: read a PIN on stdin, print the pin_hash for room.json.
#include "app/commands.hpp"
#include "control/auth.hpp"

#include <iostream>
#include <termios.h>
#include <unistd.h>

namespace stillroom::app {

int cmd_hash_pin(const cli::Args&) {
    const bool tty = isatty(STDIN_FILENO);
    termios old{};
    if (tty) {
        std::cerr << "PIN (4 to 12 digits): " << std::flush;
        tcgetattr(STDIN_FILENO, &old);
        termios quiet = old;
        quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string pin;
    std::getline(std::cin, pin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        std::cerr << "\n";
    }
    while (!pin.empty() && (pin.back() == '\r' || pin.back() == ' '))
        pin.pop_back();
    if (!is_valid_pin(pin)) {
        std::cerr << "stillroom hash-pin: a PIN is 4 to 12 digits\n";
        return cli::kBadInput;
    }
    std::cout << hash_pin(pin) << "\n";
    return cli::kOk;
}

} // namespace stillroom::app
