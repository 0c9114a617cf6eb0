#pragma once

#include <caf/fwd.hpp>

#include <chrono>
#include <memory>

#include "lekhika/actors/messages.hpp"
#include "lekhika/actors/settings.hpp"
#include "lekhika/providers/catalog.hpp"
#include "lekhika/workflow/result.hpp"

namespace lekhika::actors {

/// The running actor tree of one process: actor system, store actors, provider actors and the
/// registry. The HTTP server and the command line talk to it through the registry and reader.
class engine {
 public:
  /// Opens the store (applying migrations), marks executions a previous process left
  /// unfinished, and spawns the actors.
  [[nodiscard]] static result<std::unique_ptr<engine>> start(engine_settings settings,
                                                             providers::provider_catalog catalog);
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;
  ~engine();

  /// The actor system (for bridge actors of the HTTP layer and the command line).
  [[nodiscard]] caf::actor_system& system() noexcept;
  /// Admission, queue, cancellation.
  [[nodiscard]] const registry_actor& registry() const noexcept;
  /// Reads of stored executions.
  [[nodiscard]] const store_reader_actor& reader() const noexcept;
  /// The provider catalog requests are validated against.
  [[nodiscard]] const providers::provider_catalog& catalog() const noexcept;
  /// The settings it runs with.
  [[nodiscard]] const engine_settings& settings() const noexcept;

  /// Stops admitting and starting executions; waits up to `grace` for the running ones.
  void drain(std::chrono::milliseconds grace);
  /// Stops every actor (executions still running stay unfinished in the store) and waits.
  void stop();
  /// drain(grace), then stop().
  void shutdown(std::chrono::milliseconds grace);

 private:
  struct impl;
  explicit engine(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

}  // namespace lekhika::actors
