// The stillroom subcommands. Each returns an exit code (cli::kOk, kBadInput, kUsage).
#pragma once

#include "app/cli.hpp"

#include <string>
#include <vector>

namespace stillroom::app {

struct Subcommand {
    cli::CommandSpec spec;
    int (*run)(const cli::Args& args);
};

const std::vector<Subcommand>& subcommands();

int cmd_check(const cli::Args& args);
int cmd_plan(const cli::Args& args);
int cmd_run(const cli::Args& args);
int cmd_demo(const cli::Args& args);
int cmd_render(const cli::Args& args);
int cmd_playlist(const cli::Args& args);
int cmd_devices(const cli::Args& args);
int cmd_hash_pin(const cli::Args& args);
int cmd_report(const cli::Args& args);
int cmd_clinic(const cli::Args& args);
int cmd_vitals(const cli::Args& args);
int cmd_tls(const cli::Args& args);
int cmd_broker_config(const cli::Args& args);

} // namespace stillroom::app
