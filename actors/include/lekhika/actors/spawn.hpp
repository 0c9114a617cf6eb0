#pragma once

#include <memory>

#include "lekhika/actors/env.hpp"
#include "lekhika/actors/messages.hpp"
#include "lekhika/actors/resume.hpp"
#include "lekhika/persistence/store.hpp"
#include "lekhika/providers/pricing.hpp"
#include "lekhika/providers/transport.hpp"

namespace lekhika::actors {

/// The registry: admission, queue, tenant fairness, idempotency, cancellation.
[[nodiscard]] registry_actor spawn_registry(caf::actor_system& system, execution_env_ptr env);

/// The supervisor of one execution; reports execution_ended to `registry`. It writes under lease
/// `epoch`; `resume` (may be null) holds what a taken-over execution starts from.
[[nodiscard]] supervisor_actor spawn_supervisor(caf::actor_system& system, execution_plan_ptr plan,
                                                execution_env_ptr env, registry_actor registry,
                                                std::int64_t epoch, resume_state_ptr resume);

/// The writer store actor (on its own thread), owning `store`.
[[nodiscard]] store_writer_actor spawn_store_writer(caf::actor_system& system,
                                                    std::shared_ptr<persistence::store> store,
                                                    engine_settings settings);

/// A reader store actor (on its own thread), owning `store`.
[[nodiscard]] store_reader_actor spawn_store_reader(caf::actor_system& system,
                                                    std::shared_ptr<persistence::store> store);

/// The listener (on its own thread): forwards other workers' notifications to `registry`.
[[nodiscard]] store_listener_actor spawn_store_listener(caf::actor_system& system,
                                                        std::shared_ptr<persistence::store> store,
                                                        registry_actor registry);

/// A book exporter (on its own thread): renders the formats of export_cmd. `index` numbers the
/// exporters of one engine.
[[nodiscard]] exporter_actor spawn_exporter(caf::actor_system& system, int index);

/// The built-in offline provider; each answer takes `latency` (a timer, never a sleep).
[[nodiscard]] provider_actor spawn_offline_provider(caf::actor_system& system,
                                                    std::chrono::milliseconds latency);

/// The actor of one network provider key: calls go out through the shared `transport`, with
/// the per-key limits of `config` and the timeouts and retries of `policy`; every attempt is
/// recorded through `writer`.
[[nodiscard]] provider_actor spawn_network_provider(
    caf::actor_system& system, providers::provider_config config, call_policy policy,
    std::shared_ptr<providers::curl_multi_transport> transport,
    std::shared_ptr<const providers::pricing_table> pricing, store_writer_actor writer);

}  // namespace lekhika::actors
