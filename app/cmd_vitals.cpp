// stillroom vitals simulate: plausible monitors for a demo or a test room
// (app/vitals_simulator.hpp); the demo runs the same simulator on a thread of its own.
#include "app/commands.hpp"
#include "app/vitals_simulator.hpp"
#include "library/library.hpp"

#include <iostream>

namespace stillroom::app {

int cmd_vitals(const cli::Args& args) {
    if (args.positional.empty() || args.positional[0] != "simulate") {
        std::cerr << "stillroom vitals: the only verb is simulate\n";
        return cli::kUsage;
    }
    Problems problems;
    Library lib = load_library(args.get("--library"), problems);
    if (!lib.room.mqtt || !lib.room.vitals) {
        std::cerr << "stillroom vitals simulate: room.json needs \"mqtt\" and \"vitals\" sections\n"
                  << problems.to_string();
        return cli::kBadInput;
    }
    const bool desaturate = args.has("--desaturate");
    long seconds = -1, cuff_every = 300;
    try {
        if (args.has("--seconds")) seconds = std::stol(args.get("--seconds"));
        if (args.has("--cuff-every")) cuff_every = std::stol(args.get("--cuff-every"));
    } catch (const std::exception&) {
        std::cerr << "stillroom vitals simulate: --seconds and --cuff-every take whole seconds\n";
        return cli::kUsage;
    }
    VitalsSimulation sim;
    sim.desaturate = desaturate;
    sim.seconds = seconds;
    sim.cuff_every_s = cuff_every;
    std::cout << "Ctrl-C ends" << std::endl;
    SteadyDeviceClock clock;
    if (!run_vitals_simulator(lib, sim, clock, std::cout)) {
        std::cerr << "stillroom vitals simulate: cannot publish (see above)\n";
        return cli::kBadInput;
    }
    return cli::kOk;
}

} // namespace stillroom::app
