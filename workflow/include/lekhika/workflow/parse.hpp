#pragma once

#include <nlohmann/json.hpp>

#include <optional>

#include "lekhika/workflow/model.hpp"
#include "lekhika/workflow/problem.hpp"

namespace lekhika::workflow {

/// Result of parsing: the request when the shape was usable, and every problem found.
/// Structural problems (missing userId, wrong types, unknown node types, bad edges) are
/// reported here; graph and provider checks are done by validate_request().
struct parse_result {
  std::optional<execution_request> request;
  problem_list problems;
};

/// Parses a `POST /execute` body of either accepted shape (api.md §2.1).
/// `body` must already be a JSON object. Paths in problems point into `body`.
[[nodiscard]] parse_result parse_execution_request(const nlohmann::json& body);

/// Parses what `lekhika-worker validate` accepts: a request body of either shape, or a bare
/// workflow document (`{nodes, edges, ...}`, as the flow editor saves it), for which userId is
/// not required.
[[nodiscard]] parse_result parse_document(const nlohmann::json& document);

}  // namespace lekhika::workflow
