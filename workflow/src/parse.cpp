#include "lekhika/workflow/parse.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <string_view>
#include <utility>

#include "lekhika/workflow/roles.hpp"
#include "lekhika/workflow/text.hpp"

namespace lekhika::workflow {
namespace {

using json = nlohmann::json;

constexpr std::string_view accepted_types =
    "input, process, condition, preview, output (or a legacy type such as ai_writer)";
constexpr std::string_view accepted_operators =
    "equals, not_equals, contains, greater_than, less_than, exists";
constexpr std::size_t max_execution_id_chars = 128;
constexpr int max_chapter_concurrency = 16;
constexpr int max_preview_attempts = 10;

// Node types of the older contract (execution-worker's `ai_writer`, ...) and the role each
// becomes; such nodes are process nodes. Types that name a role of the palette directly
// ("editor", "story_input") are accepted as well, with the node type that role implies.
constexpr std::array<std::pair<std::string_view, std::string_view>, 18> legacy_types{{
    {"ai_writer", "content_writer"},
    {"ai_content_writer", "content_writer"},
    {"ai_technical_writer", "technical_writer"},
    {"ai_copywriter", "copywriter"},
    {"ai_editor", "editor"},
    {"ai_proofreader", "proofreader"},
    {"ai_polisher", "end_to_end_polisher"},
    {"ai_quality_checker", "quality_checker"},
    {"ai_researcher", "researcher"},
    {"ai_fact_checker", "fact_checker"},
    {"ai_market_analyst", "market_analyst"},
    {"ai_world_builder", "world_builder"},
    {"ai_character_developer", "character_developer"},
    {"ai_outliner", "story_outliner"},
    {"ai_plot_architect", "plot_architect"},
    {"ai_architect", "content_architect"},
    {"ai_image_generator", "image_generator"},
    {"ai_cover_generator", "ecover_generator"},
}};

class parser {
 public:
  explicit parser(problem_list& problems) : problems_(problems) {}

  void add(std::string path, std::string message) {
    problems_.push_back({std::move(path), std::move(message)});
  }

  std::optional<workflow> parse_flow(const json& flow, const std::string& prefix);
  void parse_request_fields(const json& body, request_shape shape, execution_request& request);

 private:
  node parse_node(const json& value, const std::string& path);
  edge parse_edge(const json& value, const std::string& path);
  void parse_models(const json& data, const std::string& path, node& n);
  void parse_numbers(const json& data, const std::string& path, node& n);
  void parse_conditions(const json& data, const std::string& path, node& n);
  void parse_output(const json& data, const std::string& path, node& n);
  void parse_preview(const json& data, const std::string& path, node& n);
  std::string prompt(const json& data, const char* key, const std::string& path);
  std::string target_field(const json& rule, const char* key, const std::string& path);

  problem_list& problems_;
};

bool present(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

std::string quote_id(std::string_view text) {
  // Ids in messages are cut so that a hostile body cannot make problem lists huge.
  std::string out = "'";
  out += utf8_prefix(text, 80);
  if (out.size() - 1 < text.size()) out += "...";
  out += "'";
  return out;
}

std::string normalise_name(std::string_view text) {
  std::string out = to_lower(trim(text));
  for (char& c : out) c = (c == '-' || c == ' ') ? '_' : c;
  return out;
}

const role_info* role_named(const json& value) {
  if (!value.is_string()) return nullptr;
  return find_role(normalise_name(value.get_ref<const std::string&>()));
}

std::optional<long long> whole_number(const json& value) {
  if (value.is_number_integer()) return value.get<long long>();
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
      return static_cast<long long>(d);
    }
  }
  return std::nullopt;
}

bool is_process_kind(role_kind kind) {
  return kind == role_kind::planner || kind == role_kind::structural || kind == role_kind::writer ||
         kind == role_kind::reviser || kind == role_kind::image;
}

role_kind kind_of_type(node_type type) {
  switch (type) {
    case node_type::input:
      return role_kind::input;
    case node_type::condition:
      return role_kind::condition;
    case node_type::preview:
      return role_kind::preview;
    case node_type::output:
      return role_kind::output;
    case node_type::process:
      return role_kind::generic;
  }
  return role_kind::generic;
}

std::optional<node_type> basic_type(std::string_view name) {
  if (name == "input") return node_type::input;
  if (name == "process") return node_type::process;
  if (name == "condition") return node_type::condition;
  if (name == "preview") return node_type::preview;
  if (name == "output") return node_type::output;
  return std::nullopt;
}

node_type type_for_role(role_kind kind) {
  switch (kind) {
    case role_kind::input:
      return node_type::input;
    case role_kind::condition:
      return node_type::condition;
    case role_kind::preview:
      return node_type::preview;
    case role_kind::output:
      return node_type::output;
    default:
      return node_type::process;
  }
}

bool valid_execution_id(std::string_view id) {
  if (id.empty() || id.size() > max_execution_id_chars || id == "." || id == "..") return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '-';
  });
}

// An output node's `outputFormat` is a format only when it reads like one ("pdf", "text");
// the palette also stores descriptions there ("final_deliverables", JSON samples).
bool looks_like_format(std::string_view text) {
  if (text.empty() || text.size() > 16) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

void add_format(std::vector<std::string>& formats, std::string_view text) {
  std::string format = to_lower(trim(text));
  if (!format.empty() && format.front() == '.') format.erase(0, 1);
  if (format.empty()) return;
  if (std::find(formats.begin(), formats.end(), format) == formats.end()) {
    formats.push_back(std::move(format));
  }
}

std::string parser::prompt(const json& data, const char* key, const std::string& path) {
  std::string text;
  if (present(data, key)) {
    if (data.at(key).is_string()) {
      text = data.at(key).get<std::string>();
    } else {
      add(path + "/" + key, "must be a string");
    }
  }
  // Real flows keep the prompts in data.configuration and leave the top-level ones empty.
  if (trim(text).empty()) {
    const auto config = data.find("configuration");
    if (config != data.end() && config->is_object() && present(*config, key)) {
      if (config->at(key).is_string()) {
        text = config->at(key).get<std::string>();
      } else {
        add(path + "/configuration/" + key, "must be a string");
      }
    }
  }
  return text;
}

void parser::parse_models(const json& data, const std::string& path, node& n) {
  if (!present(data, "selectedModels")) return;
  const json& models = data.at("selectedModels");
  const std::string models_path = path + "/selectedModels";
  if (!models.is_array()) {
    add(models_path, "must be an array of \"HANDLE[:model]\" strings");
    return;
  }
  for (std::size_t k = 0; k < models.size(); ++k) {
    const std::string entry_path = models_path + "/" + std::to_string(k);
    const json& entry = models[k];
    if (!entry.is_string() || trim(entry.get_ref<const std::string&>()).empty()) {
      add(entry_path, "must be a non-empty string \"HANDLE[:model]\"");
      continue;
    }
    model_choice choice;
    choice.raw = std::string{trim(entry.get_ref<const std::string&>())};
    const auto colon = choice.raw.find(':');
    choice.handle = std::string{trim(std::string_view{choice.raw}.substr(0, colon))};
    if (colon != std::string::npos) {
      choice.model = std::string{trim(std::string_view{choice.raw}.substr(colon + 1))};
    }
    if (choice.handle.empty()) {
      add(entry_path, "names no provider handle before ':' (expected \"HANDLE[:model]\")");
      continue;
    }
    n.models.push_back(std::move(choice));
  }
}

void parser::parse_numbers(const json& data, const std::string& path, node& n) {
  if (present(data, "temperature")) {
    const json& value = data.at("temperature");
    if (value.is_number() && value.get<double>() >= 0.0 && value.get<double>() <= 2.0) {
      n.temperature = value.get<double>();
    } else {
      add(path + "/temperature", "must be a number from 0 to 2");
    }
  }
  if (present(data, "maxTokens")) {
    const auto value = whole_number(data.at("maxTokens"));
    if (value && *value > 0 && *value <= 10'000'000) {
      n.max_tokens = static_cast<int>(*value);
    } else {
      add(path + "/maxTokens", "must be a positive whole number");
    }
  }
  if (present(data, "chapterConcurrency")) {
    const auto value = whole_number(data.at("chapterConcurrency"));
    if (value && *value >= 1) {
      n.chapter_concurrency =
          static_cast<int>(std::min<long long>(*value, max_chapter_concurrency));
    } else {
      add(path + "/chapterConcurrency", "must be a whole number of at least 1");
    }
  }
}

std::string parser::target_field(const json& rule, const char* key, const std::string& path) {
  if (!present(rule, key)) return {};
  const json& value = rule.at(key);
  if (!value.is_string()) {
    add(path + "/" + key, "must be the id of a node (a string)");
    return {};
  }
  return std::string{trim(value.get_ref<const std::string&>())};
}

void parser::parse_conditions(const json& data, const std::string& path, node& n) {
  if (!present(data, "conditions")) return;
  const json& rules = data.at("conditions");
  const std::string rules_path = path + "/conditions";
  if (!rules.is_array()) {
    add(rules_path, "must be an array of {field, operator?, value, target?}");
    return;
  }
  for (std::size_t k = 0; k < rules.size(); ++k) {
    const std::string rule_path = rules_path + "/" + std::to_string(k);
    const json& value = rules[k];
    if (!value.is_object()) {
      add(rule_path, "must be an object {field, operator?, value, target?}");
      continue;
    }
    condition_rule rule;
    bool ok = true;
    if (!present(value, "field")) {
      add(rule_path + "/field", "is required: the user-input field the rule looks at");
      ok = false;
    } else if (!value.at("field").is_string() ||
               trim(value.at("field").get_ref<const std::string&>()).empty()) {
      add(rule_path + "/field", "must be a non-empty string");
      ok = false;
    } else {
      rule.field = std::string{trim(value.at("field").get_ref<const std::string&>())};
    }
    if (present(value, "operator")) {
      const json& op = value.at("operator");
      const std::string name =
          op.is_string() ? normalise_name(op.get_ref<const std::string&>()) : "";
      if (name == "equals" || name == "not_equals" || name == "contains" ||
          name == "greater_than" || name == "less_than" || name == "exists") {
        rule.op = name;
      } else {
        add(rule_path + "/operator",
            (op.is_string() ? "unknown operator " + quote_id(op.get_ref<const std::string&>())
                            : std::string{"must be a string"}) +
                "; accepted: " + std::string{accepted_operators});
        ok = false;
      }
    }
    rule.value = value.contains("value") ? value.at("value") : json(nullptr);
    rule.target = target_field(value, "target", rule_path);
    if (rule.target.empty()) rule.target = target_field(value, "route", rule_path);
    rule.true_target = target_field(value, "trueTarget", rule_path);
    rule.false_target = target_field(value, "falseTarget", rule_path);
    if (ok) n.conditions.push_back(std::move(rule));
  }
}

void parser::parse_output(const json& data, const std::string& path, node& n) {
  if (present(data, "exportFormats")) {
    const json& formats = data.at("exportFormats");
    if (formats.is_string()) {
      std::string_view list = formats.get_ref<const std::string&>();
      while (!list.empty()) {
        const auto comma = list.find(',');
        add_format(n.export_formats, list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
    } else if (formats.is_array()) {
      for (std::size_t k = 0; k < formats.size(); ++k) {
        if (formats[k].is_string()) {
          add_format(n.export_formats, formats[k].get_ref<const std::string&>());
        } else {
          add(path + "/exportFormats/" + std::to_string(k), "must be a format name (a string)");
        }
      }
    } else {
      add(path + "/exportFormats", "must be an array of format names or a comma-separated string");
    }
  }
  if (present(data, "outputFormat") && data.at("outputFormat").is_string()) {
    const std::string format =
        to_lower(trim(data.at("outputFormat").get_ref<const std::string&>()));
    if (looks_like_format(format)) add_format(n.export_formats, format);
  }
}

void parser::parse_preview(const json& data, const std::string& path, node& n) {
  if (present(data, "approvalRequired")) {
    if (data.at("approvalRequired").is_boolean()) {
      n.approval_required = data.at("approvalRequired").get<bool>();
    } else {
      add(path + "/approvalRequired", "must be true or false");
    }
  }
  if (present(data, "maxAttempts")) {
    const auto value = whole_number(data.at("maxAttempts"));
    if (value && *value >= 1 && *value <= max_preview_attempts) {
      n.max_attempts = static_cast<int>(*value);
    } else {
      add(path + "/maxAttempts", "must be a whole number from 1 to 10");
    }
  }
}

node parser::parse_node(const json& value, const std::string& path) {
  node n;
  // Nodes that cannot be used are still kept (with what could be read) so that the node list
  // keeps the body's indices, which problem paths of later checks rely on. validate_workflow()
  // ignores nodes without an id; their problems are reported here.
  n.type = node_type::input;
  n.kind = role_kind::input;
  if (!value.is_object()) {
    add(path, "must be an object {id, type, data}");
    return n;
  }
  if (!present(value, "id") || !value.at("id").is_string() ||
      value.at("id").get_ref<const std::string&>().empty()) {
    add(path + "/id", "is required: a non-empty string");
  } else {
    n.id = value.at("id").get<std::string>();
  }
  const std::string name = n.id.empty() ? std::string{"at " + path} : quote_id(n.id);

  const std::string data_path = path + "/data";
  if (present(value, "data")) {
    if (value.at("data").is_object()) {
      n.data = value.at("data");
    } else {
      add(data_path, "must be an object");
    }
  }
  const json& data = n.data;

  // Type: one of the five, a legacy type, or a role name.
  const role_info* type_role = nullptr;
  bool type_ok = false;
  if (!present(value, "type")) {
    add(path + "/type", "node " + name + " has no type; accepted: " + std::string{accepted_types});
  } else if (!value.at("type").is_string()) {
    add(path + "/type", "node " + name + " has a type that is not a string; accepted: " +
                            std::string{accepted_types});
  } else {
    const std::string type_name = normalise_name(value.at("type").get_ref<const std::string&>());
    if (const auto basic = basic_type(type_name)) {
      n.type = *basic;
      type_ok = true;
    } else {
      for (const auto& [legacy, role] : legacy_types) {
        if (legacy == type_name) type_role = find_role(role);
      }
      if (type_role == nullptr) type_role = find_role(type_name);
      if (type_role != nullptr) {
        n.type = type_for_role(type_role->kind);
        type_ok = true;
      } else {
        add(path + "/type", "node " + name + " has unknown type " +
                                quote_id(value.at("type").get_ref<const std::string&>()) +
                                "; accepted: " + std::string{accepted_types});
      }
    }
  }
  // A node of unknown type stays a passive input node: its problem is reported above, and
  // treating it as a model-calling node would only add made-up follow-on problems.
  if (!type_ok) n.type = node_type::input;

  if (present(data, "label") && data.at("label").is_string()) {
    n.label = data.at("label").get<std::string>();
  } else if (present(data, "name") && data.at("name").is_string()) {
    n.label = data.at("name").get<std::string>();
  }

  // Role: data.role, a top-level role, data.type when it names a role, the legacy type, then
  // (process nodes only) the label, as the original did.
  const role_info* role = role_named(data.value("role", json()));
  if (role == nullptr) role = role_named(value.value("role", json()));
  if (role == nullptr) role = role_named(data.value("type", json()));
  if (role == nullptr) role = type_role;
  if (role == nullptr && n.type == node_type::process) {
    if (const auto inferred = infer_role_from_label(n.label)) role = find_role(*inferred);
  }
  if (role != nullptr) {
    n.role = std::string{role->name};
  } else {
    // An unknown role name is kept for messages; the node runs as a generic process.
    for (const json* source : {&data, &value}) {
      const auto it = source->find("role");
      if (it != source->end() && it->is_string() &&
          !trim(it->get_ref<const std::string&>()).empty()) {
        n.role = normalise_name(it->get_ref<const std::string&>());
        break;
      }
    }
  }
  n.kind = kind_of_type(n.type);
  if (n.type == node_type::process && role != nullptr && is_process_kind(role->kind)) {
    n.kind = role->kind;
  }

  n.system_prompt = prompt(data, "systemPrompt", data_path);
  n.user_prompt = prompt(data, "userPrompt", data_path);
  parse_models(data, data_path, n);
  parse_numbers(data, data_path, n);
  if (n.type == node_type::condition) parse_conditions(data, data_path, n);
  if (n.type == node_type::output) parse_output(data, data_path, n);
  if (n.type == node_type::preview) parse_preview(data, data_path, n);
  return n;
}

edge parser::parse_edge(const json& value, const std::string& path) {
  edge e;
  if (!value.is_object()) {
    add(path, "must be an object {id?, source, target}");
    return e;
  }
  struct end_field {
    const char* key;
    const char* meaning;
    std::string* field;
  };
  for (const end_field& end :
       {end_field{"source", "starts at", &e.source}, end_field{"target", "points to", &e.target}}) {
    const std::string end_path = path + "/" + end.key;
    if (!present(value, end.key)) {
      add(end_path, std::string{"is required: the id of the node the edge "} + end.meaning);
    } else if (!value.at(end.key).is_string() ||
               value.at(end.key).get_ref<const std::string&>().empty()) {
      add(end_path, "must be a node id (a non-empty string)");
    } else {
      *end.field = value.at(end.key).get<std::string>();
    }
  }
  if (present(value, "id") && value.at("id").is_string() &&
      !value.at("id").get_ref<const std::string&>().empty()) {
    e.id = value.at("id").get<std::string>();
  } else {
    e.id = e.source + "->" + e.target;
  }
  return e;
}

std::optional<workflow> parser::parse_flow(const json& flow, const std::string& prefix) {
  const std::string nodes_path = prefix + "/nodes";
  if (!present(flow, "nodes")) {
    add(nodes_path, "is required: a non-empty array of nodes");
    return std::nullopt;
  }
  const json& nodes = flow.at("nodes");
  if (!nodes.is_array()) {
    add(nodes_path, "must be an array of nodes");
    return std::nullopt;
  }
  workflow out;
  if (nodes.empty()) add(nodes_path, "must contain at least one node");
  out.nodes.reserve(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    out.nodes.push_back(parse_node(nodes[i], nodes_path + "/" + std::to_string(i)));
  }
  if (present(flow, "edges")) {
    const json& edges = flow.at("edges");
    if (!edges.is_array()) {
      add(prefix + "/edges", "must be an array of edges");
    } else {
      out.edges.reserve(edges.size());
      for (std::size_t i = 0; i < edges.size(); ++i) {
        out.edges.push_back(parse_edge(edges[i], prefix + "/edges/" + std::to_string(i)));
      }
    }
  }
  if (present(flow, "models")) out.models = flow.at("models");
  return out;
}

void parser::parse_request_fields(const json& body, request_shape shape,
                                  execution_request& request) {
  request.shape = shape;
  if (present(body, "executionId")) {
    const json& id = body.at("executionId");
    if (id.is_string() && valid_execution_id(id.get_ref<const std::string&>())) {
      request.execution_id = id.get<std::string>();
    } else {
      add("/executionId",
          "must be 1 to 128 characters of A-Z, a-z, 0-9, '_', '.', ':', '-' (and not '.' or "
          "'..')");
    }
  }
  if (!present(body, "userId")) {
    add("/userId", "is required: the id of the user the execution runs for");
  } else if (!body.at("userId").is_string() ||
             trim(body.at("userId").get_ref<const std::string&>()).empty()) {
    add("/userId", "must be a non-empty string");
  } else {
    request.user_id = body.at("userId").get<std::string>();
  }

  // Each shape has its own input key; the other is accepted too, since callers mix them.
  const std::array<const char*, 2> input_keys =
      shape == request_shape::seed ? std::array<const char*, 2>{"userInput", "inputs"}
                                   : std::array<const char*, 2>{"inputs", "userInput"};
  for (const char* key : input_keys) {
    if (!present(body, key)) continue;
    if (body.at(key).is_object()) {
      request.user_input = body.at(key);
    } else {
      add(std::string{"/"} + key, "must be an object of input values");
    }
    break;
  }
  if (present(body, "options")) {
    if (body.at("options").is_object()) {
      request.options = body.at("options");
    } else {
      add("/options", "must be an object");
    }
  }
  if (present(body, "async")) {
    if (body.at("async").is_boolean()) {
      request.async_requested = body.at("async").get<bool>();
    } else {
      add("/async", "must be true or false");
    }
  }
  for (const char* key : {"engineId", "masterEngineId", "userEngineId"}) {
    if (present(body, key) && body.at(key).is_string() &&
        !body.at(key).get_ref<const std::string&>().empty()) {
      request.engine_id = body.at(key).get<std::string>();
      break;
    }
  }
}

parse_result parse_request_body(const json& body) {
  parse_result result;
  parser p{result.problems};
  if (!body.is_object()) {
    p.add("", "the request body must be a JSON object");
    return result;
  }
  request_shape shape = request_shape::lekhika;
  std::optional<workflow> flow;
  if (body.contains("workflow") && body.at("workflow").is_object()) {
    flow = p.parse_flow(body.at("workflow"), "/workflow");
  } else if (body.contains("nodes")) {
    shape = request_shape::seed;
    flow = p.parse_flow(body, "");
  } else if (present(body, "workflow")) {
    p.add("/workflow", "must be an object {nodes, edges, models}");
  } else {
    p.add("/workflow",
          "is required: send workflow {nodes, edges, models}, or nodes and edges "
          "at the top level");
  }
  execution_request request;
  p.parse_request_fields(body, shape, request);
  if (flow) {
    request.flow = std::move(*flow);
    result.request = std::move(request);
  }
  return result;
}

}  // namespace

parse_result parse_execution_request(const json& body) {
  try {
    return parse_request_body(body);
  } catch (const std::exception& e) {
    // Every access above is checked; this only guards against a missed case (or allocation
    // failure) turning into an exception across the component boundary.
    parse_result result;
    result.problems.push_back({"", std::string{"the request could not be read: "} + e.what()});
    return result;
  }
}

parse_result parse_document(const json& document) {
  try {
    if (!document.is_object()) return parse_execution_request(document);
    const bool request_like =
        (document.contains("workflow") && document.at("workflow").is_object()) ||
        document.contains("userId") || document.contains("userInput") ||
        document.contains("inputs") || document.contains("executionId") ||
        document.contains("engineId");
    if (request_like || !document.contains("nodes")) return parse_execution_request(document);

    parse_result result;
    parser p{result.problems};
    if (auto flow = p.parse_flow(document, "")) {
      execution_request request;
      request.shape = request_shape::bare_flow;
      request.flow = std::move(*flow);
      result.request = std::move(request);
    }
    return result;
  } catch (const std::exception& e) {
    parse_result result;
    result.problems.push_back({"", std::string{"the document could not be read: "} + e.what()});
    return result;
  }
}

}  // namespace lekhika::workflow
