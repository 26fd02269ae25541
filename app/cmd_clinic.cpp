// stillroom clinic: the clinic overview process.
#include "app/commands.hpp"
#include "clinic/clinic_service.hpp"

#include <csignal>
#include <iostream>
#include <pthread.h>

namespace stillroom::app {

int cmd_clinic(const cli::Args& args) {
    sigset_t set{};
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr); // every thread started after inherits it
    Problems problems;
    auto config = load_clinic_config_file(args.get("--config"), problems);
    for (const auto& p : problems.list())
        std::cerr << p.to_string() << "\n";
    if (!config) return cli::kBadInput;
    if (args.has("--listen"))
        cli::apply_listen(args.get("--listen"), config->control.host, config->control.port);
    SteadyDeviceClock clock;
    ClinicService service(*config, clock);
    if (auto error = service.start()) {
        std::cerr << "stillroom: clinic: " << *error << "\n";
        return cli::kBadInput;
    }
    std::cout << "stillroom: clinic overview \"" << config->name << "\" on http://"
              << config->control.host << ":" << service.http_port() << "/ (rooms under "
              << config->rooms_topic << ")" << std::endl;
    int sig = 0;
    sigwait(&set, &sig);
    std::cout << "stillroom: clinic overview stopping (signal " << sig << ")" << std::endl;
    service.stop();
    return cli::kOk;
}

} // namespace stillroom::app
