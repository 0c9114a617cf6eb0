#pragma once

#include <functional>
#include <optional>
#include <string>

#include "lekhika/workflow/model.hpp"
#include "lekhika/workflow/problem.hpp"

namespace lekhika::workflow {

/// Checks whether a provider handle/model can be used; returns a message when it cannot
/// (unknown handle, provider without key). Supplied by the providers layer.
using model_checker = std::function<std::optional<std::string>(const model_choice&)>;

/// Everything validate_request() found: problems make the request not runnable (422),
/// warnings are reported but do not stop it.
struct validation_report {
  problem_list problems;
  problem_list warnings;
  [[nodiscard]] bool ok() const noexcept { return problems.empty(); }
};

/// Graph and semantic checks of workflow.md ("Edges and data flow"): duplicate node ids,
/// edges to unknown nodes, cycles (naming their nodes), AI nodes with no model, models the
/// checker refuses, condition targets that are not successors, more than one output node.
/// `pointer_prefix` is where the workflow sits in the body ("/workflow" or "").
[[nodiscard]] validation_report validate_workflow(const workflow& flow, const model_checker& check,
                                                  const std::string& pointer_prefix);

/// validate_workflow() for a parsed request, with the prefix its shape implies.
[[nodiscard]] validation_report validate_request(const execution_request& request,
                                                 const model_checker& check);

}  // namespace lekhika::workflow
