#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "lekhika/providers/catalog.hpp"
#include "lekhika/workflow/graph.hpp"
#include "lekhika/workflow/model.hpp"
#include "lekhika/workflow/problem.hpp"
#include "lekhika/workflow/result.hpp"

namespace lekhika::actors {

/// A node's model chain after provider resolution: [0] is the model, the rest the fallbacks.
struct resolved_model {
  providers::provider_config provider;
  std::string model;  ///< never empty: the choice's model or the provider's default
};

/// Everything an execution needs, prepared once at admission and shared read-only by its actors.
struct execution_plan {
  std::string execution_id;
  std::string user_id;
  std::string engine_id;
  workflow::execution_request request;
  nlohmann::json input;      ///< sanitised user input (prompts and conditions see this)
  std::string request_json;  ///< canonical JSON of the accepted body (stored)
  std::string request_hash;  ///< hex SHA-256 of request_json (idempotency)
  std::unique_ptr<workflow::workflow_graph> graph;
  std::vector<std::vector<resolved_model>> models;  ///< per node, same order as flow.nodes
  workflow::problem_list warnings;
  bool offline_forced = false;  ///< `run --offline`: every model call went to offline
  std::int64_t created_at_ms = 0;
};

using execution_plan_ptr = std::shared_ptr<const execution_plan>;

/// Why admission refused a body: invalid_json (400) or validation_failed (422).
struct admission_error {
  std::string code;
  std::string message;
  workflow::problem_list details;
};

/// Options of plan making.
struct admission_options {
  bool force_offline = false;  ///< replace every model with offline:draft (`run --offline`)
};

/// Parses, validates and resolves a body into a plan; every problem is reported at once.
/// `new_id` is used when the body has no executionId.
[[nodiscard]] std::variant<execution_plan_ptr, admission_error> make_plan(
    const nlohmann::json& body, const providers::provider_catalog& catalog,
    const admission_options& options, const std::string& new_id, std::int64_t now_ms);

/// A fresh execution id: "exec_" + a random UUID v4.
[[nodiscard]] std::string new_execution_id();

}  // namespace lekhika::actors
