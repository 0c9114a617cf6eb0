#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "lekhika/workflow/roles.hpp"

namespace lekhika::workflow {

/// The five node types of Lekhika's flow editor.
enum class node_type { input, process, condition, preview, output };

/// `"input"`, `"process"`, ... for messages and JSON.
[[nodiscard]] const char* to_string(node_type type) noexcept;

/// One entry of `data.selectedModels`: `HANDLE[:model]`.
struct model_choice {
  std::string handle;  ///< provider handle, e.g. "OPENA-01-first", "openai", "offline"
  std::string model;   ///< model id; empty means the provider's default model
  std::string raw;     ///< the string as written in the request
};

/// One rule of a condition node's `data.conditions[]`.
struct condition_rule {
  std::string field;          ///< user-input key the rule looks at
  std::string op = "equals";  ///< equals, not_equals, contains, greater_than, less_than, exists
  nlohmann::json value;       ///< value compared against
  std::string target;         ///< node taken when the rule passes (`target` or `route`)
  std::string true_target;    ///< `trueTarget`: taken when the rule passes
  std::string false_target;   ///< `falseTarget`: taken when the rule fails
};

/// A node after parsing: the fields the engine uses, plus the untouched `data` object.
struct node {
  std::string id;
  node_type type = node_type::process;
  std::string role;  ///< resolved role name (see roles.hpp); "" when none applies
  role_kind kind = role_kind::generic;
  std::string label;
  std::string system_prompt;  ///< data.systemPrompt, else data.configuration.systemPrompt
  std::string user_prompt;    ///< data.userPrompt, else data.configuration.userPrompt
  std::vector<model_choice>
      models;  ///< selectedModels: [0] is the model, the rest the fallback chain
  std::optional<double> temperature;        ///< data.temperature when given
  std::optional<int> max_tokens;            ///< data.maxTokens when given
  int chapter_concurrency = 1;              ///< data.chapterConcurrency, at least 1
  std::vector<condition_rule> conditions;   ///< condition nodes only
  std::vector<std::string> export_formats;  ///< output nodes: data.exportFormats (+ outputFormat)
  bool approval_required = false;           ///< preview nodes: data.approvalRequired
  int max_attempts = 3;                     ///< preview nodes: data.maxAttempts
  nlohmann::json data = nlohmann::json::object();  ///< the node's data as sent, kept and ignored
};

/// A directed edge of the graph; edges carry no data of their own.
struct edge {
  std::string id;
  std::string source;
  std::string target;
};

/// The graph Lekhika's flow editor saves.
struct workflow {
  std::vector<node> nodes;
  std::vector<edge> edges;
  nlohmann::json models = nlohmann::json::array();  ///< metadata only
};

/// Which of the two accepted body shapes a request used (api.md §2.1).
enum class request_shape {
  seed,       ///< {executionId, engineId, userId, userInput, nodes, edges, models, options?}
  lekhika,    ///< {executionId, userId, workflow: {nodes, edges, models}, inputs, options?, ...}
  bare_flow,  ///< only a workflow (validate FILE.json): {nodes, edges, ...} without userId
};

/// A parsed `POST /execute` body.
struct execution_request {
  std::string execution_id;  ///< as sent; empty when the caller left it out
  std::string user_id;
  std::string engine_id;  ///< engineId, else masterEngineId, else userEngineId
  nlohmann::json user_input = nlohmann::json::object();  ///< userInput / inputs (raw, unsanitised)
  nlohmann::json options = nlohmann::json::object();
  bool async_requested = false;  ///< `"async": true` in the body
  request_shape shape = request_shape::lekhika;
  workflow flow;
};

}  // namespace lekhika::workflow
