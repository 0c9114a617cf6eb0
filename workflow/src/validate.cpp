#include "lekhika/workflow/validate.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "lekhika/workflow/graph.hpp"
#include "lekhika/workflow/text.hpp"
#include "lekhika/workflow/user_input.hpp"

namespace lekhika::workflow {
namespace {

using json = nlohmann::json;

std::string quote_id(std::string_view text) {
  std::string out = "'";
  out += utf8_prefix(text, 80);
  if (out.size() - 1 < text.size()) out += "...";
  out += "'";
  return out;
}

std::string node_path(const std::string& prefix, std::size_t i) {
  return prefix + "/nodes/" + std::to_string(i);
}

// "node 'writer-1' (content_writer)": the role when there is one, else the node type.
std::string describe(const node& n) {
  return "node " + quote_id(n.id) + " (" + (n.role.empty() ? to_string(n.type) : n.role) + ")";
}

// parse_execution_request() drops unusable entries of selectedModels and conditions, so the
// k-th parsed entry is not always the k-th entry of the body; these find the body's index by
// walking both lists in order. A workflow built in code (no raw data) uses positions.
std::vector<std::size_t> model_indices(const node& n) {
  std::vector<std::size_t> out;
  const auto raw = n.data.find("selectedModels");
  std::size_t cursor = 0;
  for (std::size_t k = 0; k < n.models.size(); ++k) {
    std::size_t found = k;
    if (raw != n.data.end() && raw->is_array()) {
      while (cursor < raw->size()) {
        const json& entry = (*raw)[cursor++];
        if (entry.is_string() && trim(entry.get_ref<const std::string&>()) == n.models[k].raw) {
          found = cursor - 1;
          break;
        }
      }
    }
    out.push_back(found);
  }
  return out;
}

struct rule_location {
  std::size_t index = 0;              ///< index in the body's data.conditions
  std::string target_key = "target";  ///< "target" or "route", as the body spelled it
};

std::vector<rule_location> rule_locations(const node& n) {
  std::vector<rule_location> out;
  const auto raw = n.data.find("conditions");
  std::size_t cursor = 0;
  for (std::size_t k = 0; k < n.conditions.size(); ++k) {
    rule_location location{k, "target"};
    if (raw != n.data.end() && raw->is_array()) {
      while (cursor < raw->size()) {
        const json& entry = (*raw)[cursor++];
        const auto field = entry.is_object() ? entry.find("field") : entry.end();
        if (entry.is_object() && field != entry.end() && field->is_string() &&
            trim(field->get_ref<const std::string&>()) == n.conditions[k].field) {
          location.index = cursor - 1;
          const auto target = entry.find("target");
          const bool has_target = target != entry.end() && target->is_string() &&
                                  !trim(target->get_ref<const std::string&>()).empty();
          if (!has_target && entry.contains("route")) location.target_key = "route";
          break;
        }
      }
    }
    out.push_back(std::move(location));
  }
  return out;
}

bool calls_model(const node& n) {
  return n.type == node_type::process || n.type == node_type::preview;
}

void check_models(const node& n, const std::string& path, const model_checker& check,
                  validation_report& report) {
  const std::string models_path = path + "/data/selectedModels";
  if (n.models.empty()) {
    // Entries that parse refused were reported there; "selects none" would repeat it.
    const auto raw = n.data.find("selectedModels");
    if (raw != n.data.end() && raw->is_array() && !raw->empty()) return;
    if (n.kind == role_kind::image) {
      // Image nodes are skipped at run time when they have no model (workflow.md).
      report.warnings.push_back(
          {models_path, describe(n) + " selects no image model; it will be skipped"});
    } else {
      report.problems.push_back({models_path, describe(n) + " calls a model but selects none"});
    }
    return;
  }
  if (!check) return;
  const auto indices = model_indices(n);
  for (std::size_t k = 0; k < n.models.size(); ++k) {
    if (auto refusal = check(n.models[k])) {
      report.problems.push_back({models_path + "/" + std::to_string(indices[k]), *refusal});
    }
  }
}

void check_condition_targets(const node& n, std::size_t i, const std::string& path,
                             const workflow& flow, const workflow_graph& graph,
                             validation_report& report) {
  const auto locations = rule_locations(n);
  const auto& successors = graph.outgoing(i);
  for (std::size_t k = 0; k < n.conditions.size(); ++k) {
    const auto& rule = n.conditions[k];
    const std::string rule_path =
        path + "/data/conditions/" + std::to_string(locations[k].index) + "/";
    const std::array<std::pair<std::string_view, const std::string*>, 3> targets{{
        {locations[k].target_key, &rule.target},
        {"trueTarget", &rule.true_target},
        {"falseTarget", &rule.false_target},
    }};
    for (const auto& [key, target] : targets) {
      if (target->empty()) continue;
      const std::size_t index = graph.index_of(*target);
      if (index == workflow_graph::npos) {
        report.problems.push_back(
            {rule_path + std::string{key},
             "condition of " + describe(n) + " routes to unknown node " + quote_id(*target)});
      } else if (std::find(successors.begin(), successors.end(), index) == successors.end()) {
        report.problems.push_back(
            {rule_path + std::string{key}, "condition of " + describe(n) + " routes to " +
                                               quote_id(flow.nodes[index].id) +
                                               ", which is not a direct successor (no edge " +
                                               quote_id(n.id) + " -> " + quote_id(*target) + ")"});
      }
    }
  }
}

std::string prefix_of(const execution_request& request) {
  return request.shape == request_shape::lekhika ? "/workflow" : "";
}

}  // namespace

validation_report validate_workflow(const workflow& flow, const model_checker& check,
                                    const std::string& pointer_prefix) {
  validation_report report;
  try {
    // Duplicate ids: the later node is the wrong one.
    std::unordered_map<std::string, std::size_t> first_index;
    for (std::size_t i = 0; i < flow.nodes.size(); ++i) {
      const node& n = flow.nodes[i];
      if (n.id.empty()) continue;  // reported by the parser
      const auto [it, inserted] = first_index.try_emplace(n.id, i);
      if (!inserted) {
        report.problems.push_back(
            {node_path(pointer_prefix, i) + "/id", "duplicate node id " + quote_id(n.id) +
                                                       " (also the id of node " +
                                                       std::to_string(it->second) + ")"});
      }
    }

    for (std::size_t i = 0; i < flow.edges.size(); ++i) {
      const edge& e = flow.edges[i];
      const std::string path = pointer_prefix + "/edges/" + std::to_string(i);
      if (!e.source.empty() && !first_index.contains(e.source)) {
        report.problems.push_back(
            {path + "/source",
             "edge " + quote_id(e.id) + " starts at unknown node " + quote_id(e.source)});
      }
      if (!e.target.empty() && !first_index.contains(e.target)) {
        report.problems.push_back(
            {path + "/target",
             "edge " + quote_id(e.id) + " points to unknown node " + quote_id(e.target)});
      }
    }

    const workflow_graph graph{flow};
    for (const auto& cycle : graph.find_cycles()) {
      std::string text = "cycle: ";
      for (std::size_t index : cycle) text += flow.nodes[index].id + " -> ";
      text += flow.nodes[cycle.front()].id;
      report.problems.push_back({pointer_prefix + "/edges", std::move(text)});
    }

    std::string output_id;
    for (std::size_t i = 0; i < flow.nodes.size(); ++i) {
      const node& n = flow.nodes[i];
      if (n.id.empty()) continue;
      const std::string path = node_path(pointer_prefix, i);
      if (calls_model(n)) check_models(n, path, check, report);
      if (n.type == node_type::condition) {
        check_condition_targets(n, i, path, flow, graph, report);
      }
      if (n.type == node_type::output) {
        if (output_id.empty()) {
          output_id = n.id;
        } else {
          report.problems.push_back(
              {path + "/type", "more than one output node: " + quote_id(n.id) +
                                   " (the workflow's output node is " + quote_id(output_id) + ")"});
        }
      }
    }
  } catch (const std::exception& e) {
    report.problems.push_back({pointer_prefix, std::string{"validation failed: "} + e.what()});
  }
  return report;
}

validation_report validate_request(const execution_request& request, const model_checker& check) {
  const std::string prefix = prefix_of(request);
  validation_report report = validate_workflow(request.flow, check, prefix);
  // A bare workflow has no input yet, so every field would look missing.
  if (request.shape == request_shape::bare_flow) return report;
  try {
    for (std::size_t i = 0; i < request.flow.nodes.size(); ++i) {
      const node& n = request.flow.nodes[i];
      if (n.type != node_type::condition) continue;
      const auto locations = rule_locations(n);
      for (std::size_t k = 0; k < n.conditions.size(); ++k) {
        const auto& rule = n.conditions[k];
        if (rule.op == "exists") continue;  // a missing field is what "exists" asks about
        if (find_input_value(request.user_input, rule.field) != nullptr) continue;
        report.warnings.push_back({node_path(prefix, i) + "/data/conditions/" +
                                       std::to_string(locations[k].index) + "/field",
                                   "condition of " + describe(n) + " looks at " +
                                       quote_id(rule.field) + ", which is not in the user input"});
      }
    }
  } catch (const std::exception& e) {
    report.problems.push_back({prefix, std::string{"validation failed: "} + e.what()});
  }
  return report;
}

}  // namespace lekhika::workflow
