#pragma once

#include <chrono>
#include <string>

namespace lekhika::actors {

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
  int scheduler_threads = 0;                          ///< 0: one per core
  std::string worker_id;                              ///< names this process in logs and leases
};

}  // namespace lekhika::actors
