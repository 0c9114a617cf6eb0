#include "lekhika/actors/execution_plan.hpp"

#include <array>
#include <cstdio>
#include <random>

#include "lekhika/persistence/artifact_files.hpp"
#include "lekhika/workflow/parse.hpp"
#include "lekhika/workflow/user_input.hpp"
#include "lekhika/workflow/validate.hpp"

namespace lekhika::actors {
namespace {

// `run --offline` sends every model call to the built-in provider, and says so.
void force_offline_models(workflow::workflow& flow) {
  for (auto& n : flow.nodes) {
    if (n.type == workflow::node_type::process || n.type == workflow::node_type::preview) {
      n.models = {workflow::model_choice{"offline", "draft", "offline:draft"}};
    }
  }
}

// The body as stored and hashed: the "async" switch does not make two requests different.
// Drops secret-looking keys (api_key, token, password, ...) from user input, at any depth.
void drop_secret_keys(nlohmann::json& value) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end();) {
      if (workflow::is_secret_key(it.key())) {
        it = value.erase(it);
      } else {
        drop_secret_keys(it.value());
        ++it;
      }
    }
  } else if (value.is_array()) {
    for (auto& item : value) drop_secret_keys(item);
  }
}

// The body as stored and hashed. The "async" switch does not make two requests different, and
// no secret is stored: the caller's Lekhika API key and secret-looking input fields are dropped
// (prompts never see those fields either, so a resumed execution needs none of them).
std::string canonical_body(const nlohmann::json& body) {
  nlohmann::json copy = body;
  copy.erase("async");
  copy.erase("lekhikaApiKey");
  for (const char* input_key : {"inputs", "userInput"}) {
    if (auto it = copy.find(input_key); it != copy.end()) drop_secret_keys(*it);
  }
  return copy.dump();
}

// The body with every process and preview node's models replaced by offline:draft.
nlohmann::json with_offline_models(const nlohmann::json& body) {
  nlohmann::json copy = body;
  nlohmann::json* nodes = nullptr;
  if (copy.contains("workflow") && copy["workflow"].is_object() &&
      copy["workflow"].contains("nodes")) {
    nodes = &copy["workflow"]["nodes"];
  } else if (copy.contains("nodes")) {
    nodes = &copy["nodes"];
  }
  if (nodes == nullptr || !nodes->is_array()) return copy;
  for (auto& n : *nodes) {
    if (!n.is_object()) continue;
    const auto type = n.value("type", std::string{});
    if (type == "input" || type == "condition" || type == "output") continue;
    if (!n.contains("data") || !n["data"].is_object()) n["data"] = nlohmann::json::object();
    n["data"]["selectedModels"] = nlohmann::json::array({"offline:draft"});
  }
  return copy;
}

}  // namespace

std::variant<execution_plan_ptr, admission_error> make_plan(
    const nlohmann::json& body, const providers::provider_catalog& catalog,
    const admission_options& options, const std::string& new_id, std::int64_t now_ms) {
  if (!body.is_object())
    return admission_error{"invalid_json", "the request body must be a JSON object", {}};
  auto parsed = workflow::parse_execution_request(body);
  if (!parsed.request) {
    return admission_error{"validation_failed", "the request is not a runnable workflow",
                           std::move(parsed.problems)};
  }
  workflow::execution_request request = std::move(*parsed.request);
  if (options.force_offline) force_offline_models(request.flow);

  // Graph and model checks run even when the request fields had problems, so that the caller
  // learns every problem of the body at once.
  auto report = workflow::validate_request(
      request, [&catalog](const workflow::model_choice& choice) { return catalog.check(choice); });
  auto problems = std::move(parsed.problems);
  problems.insert(problems.end(), std::make_move_iterator(report.problems.begin()),
                  std::make_move_iterator(report.problems.end()));
  if (!problems.empty()) {
    return admission_error{"validation_failed", "the request is not a runnable workflow",
                           std::move(problems)};
  }

  auto plan = std::make_shared<execution_plan>();
  plan->models.resize(request.flow.nodes.size());
  for (std::size_t i = 0; i < request.flow.nodes.size(); ++i) {
    for (const auto& choice : request.flow.nodes[i].models) {
      auto resolved = catalog.resolve(choice.handle);
      if (!resolved) continue;  // validation accepted it, so this cannot happen; stay defensive
      resolved_model m{std::move(resolved).value(), choice.model};
      if (m.model.empty()) m.model = m.provider.default_model;
      plan->models[i].push_back(std::move(m));
    }
  }
  plan->execution_id = request.execution_id.empty() ? new_id : request.execution_id;
  plan->user_id = request.user_id;
  plan->engine_id = request.engine_id;
  plan->input = workflow::sanitize_user_input(request.user_input);
  // The stored body is what a takeover rebuilds the plan from, so it says what ran: with
  // `run --offline`, the offline models.
  plan->request_json = canonical_body(options.force_offline ? with_offline_models(body) : body);
  plan->request_hash = persistence::sha256_hex(plan->request_json);
  plan->warnings = std::move(report.warnings);
  plan->offline_forced = options.force_offline;
  plan->created_at_ms = now_ms;
  plan->graph = std::make_unique<workflow::workflow_graph>(request.flow);
  plan->request = std::move(request);
  return execution_plan_ptr{std::move(plan)};
}

std::string new_execution_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::array<unsigned char, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    auto word = rng();
    for (std::size_t j = 0; j < 8; ++j) bytes[i + j] = static_cast<unsigned char>(word >> (8 * j));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0fU) | 0x40U);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3fU) | 0x80U);  // RFC 4122 variant
  std::string out = "exec_";
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[bytes[i] >> 4U];
    out += hex[bytes[i] & 0x0fU];
  }
  return out;
}

}  // namespace lekhika::actors
