#pragma once

#include <string>
#include <vector>

namespace lekhika::app {

/// Exit codes of `run` (api.md §1).
inline constexpr int exit_completed = 0;
inline constexpr int exit_failed = 1;
inline constexpr int exit_invalid_input = 2;
inline constexpr int exit_cancelled = 130;

/// Runs the command line: `serve`, `run FILE`, `validate FILE`, `migrate`, `--version`, `--help`.
/// Returns the process exit code.
[[nodiscard]] int run_cli(const std::vector<std::string>& args);

}  // namespace lekhika::app
