#include <cerrno>
#include <ctime>
#include <iostream>

#include "commands.hpp"
#include "lekhika/actors/engine.hpp"
#include "lekhika/actors/log.hpp"
#include "lekhika/app/cli.hpp"
#include "lekhika/http/server.hpp"
#include "signals.hpp"

namespace lekhika::app {
namespace {

/// How long running executions get to finish after SIGTERM.
constexpr std::chrono::seconds shutdown_grace{30};
/// How often --insecure-dev repeats its warning.
constexpr int insecure_warning_every_s = 60;

}  // namespace

int serve_command(const command_line&, const config& cfg) {
  http::server_settings http_settings = cfg.http;
  http_settings.version = LEKHIKA_VERSION;
  if (auto weak = weak_secret_reason(cfg.http.auth_secret.reveal())) {
    if (!cfg.insecure_dev) {
      log::error("refusing to start: " + *weak +
                 " (use a random secret of 16+ characters, or --insecure-dev)");
      return exit_invalid_input;
    }
    log::warn("INSECURE DEV MODE: " + *weak + "; do not expose this worker");
  }
  block_signals();
  auto catalog = providers::provider_catalog::build(cfg.env, cfg.providers_file);
  if (!catalog) {
    log::error(catalog.error().message);
    return exit_invalid_input;
  }
  auto engine = actors::engine::start(cfg.engine, std::move(catalog).value());
  if (!engine) {
    log::error("cannot start the engine: " + engine.error().message);
    return 1;
  }
  auto server = http::http_server::start(http_settings, *engine.value());
  if (!server) {
    log::error(server.error().message);
    engine.value()->stop();
    return 1;
  }

  const sigset_t set = handled_signals();
  for (;;) {
    timespec wait{insecure_warning_every_s, 0};
    const int sig = sigtimedwait(&set, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM) {
      log::info("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"},
                                  {"graceS", shutdown_grace.count()}});
      break;
    }
    if (sig < 0 && errno == EAGAIN && cfg.insecure_dev) {
      log::warn("INSECURE DEV MODE: requests are not properly authenticated");
    }
  }
  // New work is refused (503) while running executions finish; then the server closes and the
  // actors stop. Executions still running stay unfinished in the store.
  engine.value()->drain(shutdown_grace);
  server.value()->stop();
  engine.value()->stop();
  return 0;
}

}  // namespace lekhika::app
