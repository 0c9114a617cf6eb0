#include "lekhika/app/cli.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "lekhika/actors/log.hpp"
#include "lekhika/persistence/store.hpp"
#include "lekhika/workflow/parse.hpp"
#include "lekhika/workflow/validate.hpp"

namespace lekhika::app {
namespace {

constexpr const char* usage_text = R"(lekhika-worker — the Lekhika execution engine

Usage:
  lekhika-worker serve [--insecure-dev] [--port N] [--host ADDR] [--<variable> VALUE ...]
  lekhika-worker run FILE.json [--out DIR] [--formats md,html,txt] [--offline] [--json]
  lekhika-worker validate FILE.json
  lekhika-worker migrate
  lekhika-worker --version | --help

Configuration comes from the environment (and ./.env); any variable can be given as a flag in
kebab case, e.g. --max-running-executions 100 --database-url sqlite://./data.db.

run exits 0 when the book is completed, 1 when it failed, 2 on invalid input, 130 when cancelled.
)";

// Switches that belong to a command rather than to the configuration.
constexpr std::array<std::string_view, 3> command_switches{"insecure-dev", "offline", "json"};
constexpr std::array<std::string_view, 2> command_options{"out", "formats"};

// The configuration variables a flag may set (api.md §1).
constexpr std::array<std::string_view, 43> known_variables{"INTERNAL_API_SECRET",
                                                           "HOST",
                                                           "PORT",
                                                           "DATABASE_URL",
                                                           "SUPABASE_DB_URL",
                                                           "ARTIFACT_DIR",
                                                           "MAX_RUNNING_EXECUTIONS",
                                                           "MAX_QUEUED_EXECUTIONS",
                                                           "TENANT_MAX_RUNNING",
                                                           "EXECUTION_TIMEOUT_S",
                                                           "MAX_BODY_BYTES",
                                                           "OPENAI_API_KEY",
                                                           "OPENAI_BASE_URL",
                                                           "ANTHROPIC_API_KEY",
                                                           "ANTHROPIC_BASE_URL",
                                                           "GEMINI_API_KEY",
                                                           "GEMINI_BASE_URL",
                                                           "MISTRAL_API_KEY",
                                                           "MISTRAL_BASE_URL",
                                                           "XAI_API_KEY",
                                                           "XAI_BASE_URL",
                                                           "PERPLEXITY_API_KEY",
                                                           "PERPLEXITY_BASE_URL",
                                                           "OPENROUTER_API_KEY",
                                                           "OPENROUTER_BASE_URL",
                                                           "OLLAMA_BASE_URL",
                                                           "LEKHIKA_PROVIDERS_FILE",
                                                           "LEKHIKA_OFFLINE_LATENCY_MS",
                                                           "LOG_FORMAT",
                                                           "LOG_LEVEL",
                                                           "LEKHIKA_PRICING_FILE",
                                                           "PROVIDER_CONNECT_TIMEOUT_MS",
                                                           "PROVIDER_FIRST_TOKEN_TIMEOUT_MS",
                                                           "PROVIDER_IDLE_TIMEOUT_MS",
                                                           "PROVIDER_TOTAL_TIMEOUT_MS",
                                                           "PROVIDER_MAX_ATTEMPTS",
                                                           "PROVIDER_MAX_CONCURRENT",
                                                           "PROVIDER_BACKOFF_BASE_MS",
                                                           "PROVIDER_BACKOFF_CAP_MS",
                                                           "WORKER_ID",
                                                           "LEKHIKA_LEASE_TTL_MS",
                                                           "LEKHIKA_CLAIM_INTERVAL_MS",
                                                           "LEKHIKA_STORE_READERS"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::optional<command_line> parse_args(const std::vector<std::string>& args, std::string* error) {
  command_line cmd;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (!arg.starts_with("--") || arg.size() == 2) {
      if (cmd.command.empty()) {
        cmd.command = arg;
      } else {
        cmd.positional.push_back(arg);
      }
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "help" || name == "version") {
      cmd.command = "--" + name;
      continue;
    }
    if (contains(command_switches, name)) {
      cmd.options[name] = value.value_or("");
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        *error = "option --" + name + " needs a value";
        return std::nullopt;
      }
      value = args[++i];
    }
    if (contains(command_options, name)) {
      cmd.options[name] = *value;
      continue;
    }
    const auto variable = flag_to_variable(name);
    if (!contains(known_variables, variable)) {
      *error = "unknown option --" + name + " (see --help)";
      return std::nullopt;
    }
    cmd.settings[variable] = *value;
  }
  return cmd;
}

}  // namespace

std::optional<nlohmann::json> read_json_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    std::cerr << "error: cannot read " << path << "\n";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    std::cerr << "error: " << path << " is not valid JSON: " << e.what() << "\n";
    return std::nullopt;
  }
}

void configure_logging(const config& cfg) {
  log::configure(log::parse_level(cfg.log_level), cfg.log_format == "json");
}

int validate_command(const command_line& cmd, const config& cfg) {
  if (cmd.positional.size() != 1) {
    std::cerr << "usage: lekhika-worker validate FILE.json\n";
    return exit_invalid_input;
  }
  auto document = read_json_file(cmd.positional[0]);
  if (!document) return exit_invalid_input;
  auto catalog = providers::provider_catalog::build(cfg.env, cfg.providers_file);
  if (!catalog) {
    std::cerr << "error: " << catalog.error().message << "\n";
    return exit_invalid_input;
  }
  auto parsed = workflow::parse_document(*document);
  workflow::validation_report report;
  report.problems = parsed.problems;
  if (parsed.request && parsed.problems.empty()) {
    report = workflow::validate_request(*parsed.request, [&](const workflow::model_choice& choice) {
      return catalog.value().check(choice);
    });
  }
  for (const auto& p : report.problems)
    std::cout << "error   " << (p.path.empty() ? "/" : p.path) << ": " << p.message << "\n";
  for (const auto& w : report.warnings)
    std::cout << "warning " << (w.path.empty() ? "/" : w.path) << ": " << w.message << "\n";
  if (!report.ok()) {
    std::cout << cmd.positional[0] << ": " << report.problems.size()
              << " problem(s); not runnable\n";
    return exit_invalid_input;
  }
  const auto nodes = parsed.request ? parsed.request->flow.nodes.size() : 0;
  std::cout << cmd.positional[0] << ": valid (" << nodes << " nodes)\n";
  return 0;
}

int migrate_command(const command_line&, const config& cfg) {
  auto store = persistence::open_store(cfg.engine.database_url);
  if (!store) {
    std::cerr << "error: " << store.error().message << "\n";
    return 1;
  }
  if (auto migrated = store.value()->migrate(); !migrated) {
    std::cerr << "error: " << migrated.error().message << "\n";
    return 1;
  }
  std::cout << "schema is up to date\n";
  return 0;
}

int run_cli(const std::vector<std::string>& args) {
  std::string error;
  auto cmd = parse_args(args, &error);
  if (!cmd) {
    std::cerr << "error: " << error << "\n";
    return exit_invalid_input;
  }
  if (cmd->command.empty() || cmd->command == "--help" || cmd->command == "help") {
    std::cout << usage_text;
    return cmd->command.empty() ? exit_invalid_input : 0;
  }
  if (cmd->command == "--version") {
    std::cout << "lekhika-worker " << LEKHIKA_VERSION << "\n";
    return 0;
  }
  auto cfg = load_config(config_source{cmd->settings, ".env"});
  if (!cfg) {
    std::cerr << "error: " << cfg.error().message << "\n";
    return exit_invalid_input;
  }
  cfg.value().insecure_dev = cmd->options.contains("insecure-dev");
  // `run` draws progress on the terminal: routine log lines would only get in its way.
  if (cmd->command == "run" && !cfg.value().log_level_set) cfg.value().log_level = "warn";
  configure_logging(cfg.value());
  if (cmd->command == "serve") return serve_command(*cmd, cfg.value());
  if (cmd->command == "run") return run_command(*cmd, cfg.value());
  if (cmd->command == "validate") return validate_command(*cmd, cfg.value());
  if (cmd->command == "migrate") return migrate_command(*cmd, cfg.value());
  std::cerr << "error: unknown command '" << cmd->command << "' (see --help)\n";
  return exit_invalid_input;
}

}  // namespace lekhika::app
