#pragma once

// JSON shapes of the API (api.md §2): the envelope, errors, and executions as callers see them.
// Pure functions over records; no RESTinio, no actors.

#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "lekhika/actors/messages.hpp"
#include "lekhika/workflow/problem.hpp"

namespace lekhika::http {

/// A response ready to be sent.
struct http_answer {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
};

/// {"success": true, "data": data}
[[nodiscard]] http_answer ok_answer(nlohmann::json data, int status = 200);
/// {"success": false, "error": {code, message[, details]}} with the status of api.md §2.
[[nodiscard]] http_answer error_answer(const std::string& code, const std::string& message,
                                       nlohmann::json details = nullptr);
/// The HTTP status of an error code (invalid_json 400, unauthorized 401, ...).
[[nodiscard]] int status_of(const std::string& code) noexcept;
/// Validation problems as `details`: [{path, message}].
[[nodiscard]] nlohmann::json problems_json(const workflow::problem_list& problems);

/// ISO 8601 UTC with milliseconds, or null for 0.
[[nodiscard]] nlohmann::json iso_time(std::int64_t epoch_ms);

/// GET /executions/{id}: the execution with its nodes (api.md §2.2).
[[nodiscard]] nlohmann::json execution_json(const actors::execution_snapshot& snapshot,
                                            const std::map<std::string, std::string>& inline_text);
/// data of a finished POST /execute: {executionId, status, result, output, usage, error?}.
[[nodiscard]] nlohmann::json final_json(const persistence::execution_record& record,
                                        const std::map<std::string, std::string>& inline_text);
/// One line of GET /executions.
[[nodiscard]] nlohmann::json summary_json(const persistence::execution_summary& summary);

}  // namespace lekhika::http
