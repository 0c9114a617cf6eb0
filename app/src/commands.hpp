#pragma once

// Private to app/: the subcommands behind run_cli().

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lekhika/app/config.hpp"

namespace lekhika::app {

/// A parsed command line: the subcommand, its positional arguments, configuration flags
/// (as variable names) and the command's own switches.
struct command_line {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> settings;  ///< e.g. {"PORT": "0"}
  std::map<std::string, std::string> options;   ///< e.g. {"out": "dir", "offline": ""}
};

/// `serve`: the HTTP service until SIGINT/SIGTERM.
int serve_command(const command_line& cmd, const config& cfg);
/// `run FILE`: one execution in-process with live progress.
int run_command(const command_line& cmd, const config& cfg);
/// `validate FILE`: every problem with its JSON path.
int validate_command(const command_line& cmd, const config& cfg);
/// `migrate`: apply the schema and exit.
int migrate_command(const command_line& cmd, const config& cfg);

/// Reads a JSON file; prints why not and returns nullopt when it cannot.
std::optional<nlohmann::json> read_json_file(const std::string& path);

/// Sets up logging from the configuration.
void configure_logging(const config& cfg);

}  // namespace lekhika::app
