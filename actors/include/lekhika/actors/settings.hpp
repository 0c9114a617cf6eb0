#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "lekhika/providers/pricing.hpp"

namespace lekhika::actors {

/// How every network model call behaves (api.md §3.2); per key limits come from the provider's
/// configuration.
struct call_policy {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds first_token_timeout{60000};  ///< request sent -> first token
  std::chrono::milliseconds idle_timeout{30000};         ///< between two pieces of the stream
  std::chrono::milliseconds total_timeout{600000};       ///< one attempt, start to end
  int max_attempts = 4;                                  ///< per model, before the fallback
  std::chrono::milliseconds backoff_base{500};           ///< first retry waits up to this
  std::chrono::milliseconds backoff_cap{30000};          ///< no backoff longer than this
  int default_max_concurrent = 256;                      ///< in flight per key when unset
  std::chrono::milliseconds retry_after_limit{600000};   ///< longer Retry-After: model spent
  std::string ca_file;  ///< PEM certificates trusted instead of the system's (PROVIDER_CA_FILE)
};

/// Runtime limits and locations of the engine (from configuration).
struct engine_settings {
  int max_running_executions = 2000;
  int max_queued_executions = 100000;
  int tenant_max_running = 50;
  std::chrono::seconds execution_timeout{14400};
  std::chrono::milliseconds offline_latency{0};
  std::string database_url = "sqlite://./lekhika-data/lekhika.db";
  std::string artifact_dir = "./lekhika-data/artifacts";
  std::chrono::milliseconds store_flush_interval{5};  ///< longest a write waits for its batch
  std::size_t store_batch_limit = 1024;               ///< writes per transaction at most
  /// Reader actors, each with its own database connection: API reads run on them in turn, so
  /// one slow listing does not hold up every GET. With the writer's and the listener's
  /// connection this is the worker's whole pool.
  int store_readers = 2;
  int scheduler_threads = 0;  ///< 0: one per core
  std::string worker_id;      ///< names this process in logs and leases
  call_policy calls;          ///< timeouts, retries, per-key defaults
  // Durable execution: every unfinished execution is leased by the worker running it; a worker
  // renews its leases, and claims executions whose lease expired (a worker died).
  std::chrono::milliseconds lease_ttl{30000};
  std::chrono::milliseconds lease_renew_interval{10000};
  std::chrono::milliseconds claim_interval{5000};
  bool recover = true;  ///< claim and resume unfinished executions (serve; not `run`)
  std::shared_ptr<const providers::pricing_table> pricing;  ///< null: the built-in table
};

}  // namespace lekhika::actors
