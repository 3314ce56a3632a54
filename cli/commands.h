#pragma once
// The subcommands of `embetter`: each adds its options to the CLI11 app and
// returns the function that runs it once the command line has been parsed.
#include <functional>

#include <CLI/CLI.hpp>

#include "console.h"

namespace emb::cli {

using Command = std::function<void()>;

Command add_finetune_command(CLI::App& app, const GlobalOptions& global);
Command add_pca_command(CLI::App& app, const GlobalOptions& global);
Command add_demo_command(CLI::App& app, const GlobalOptions& global);
Command add_encode_command(CLI::App& app, const GlobalOptions& global);
Command add_explore_command(CLI::App& app, const GlobalOptions& global);

}  // namespace emb::cli
