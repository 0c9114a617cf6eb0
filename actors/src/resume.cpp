#include "lekhika/actors/resume.hpp"

#include <algorithm>
#include <map>

namespace lekhika::actors {
namespace {

workflow::role_kind kind_from_name(const std::string& name, workflow::role_kind fallback) {
  using workflow::role_kind;
  for (auto k : {role_kind::input, role_kind::planner, role_kind::structural, role_kind::writer,
                 role_kind::reviser, role_kind::image, role_kind::condition, role_kind::preview,
                 role_kind::output, role_kind::generic}) {
    if (name == workflow::to_string(k)) return k;
  }
  return fallback;
}

usage_totals usage_from_json(const nlohmann::json& j) {
  usage_totals u;
  if (!j.is_object()) return u;
  u.input_tokens = j.value("inputTokens", std::int64_t{0});
  u.output_tokens = j.value("outputTokens", std::int64_t{0});
  u.calls = j.value("calls", std::int64_t{0});
  u.cost_usd = j.value("costUsd", 0.0);
  u.words = j.value("words", std::int64_t{0});
  u.estimated = j.value("estimated", false);
  return u;
}

// Rebuilds the outputs of finished nodes in topological order, so that a node's book and
// outline references find their sources already rebuilt.
class rebuilder {
 public:
  rebuilder(const execution_plan& plan, const std::vector<persistence::node_output_record>& outputs,
            const std::vector<persistence::chapter_record>& chapters)
      : plan_(plan) {
    for (const auto& o : outputs) checkpoints_[o.node_id] = o.output;
    for (const auto& c : chapters) {
      auto& list = chapters_[c.node_id];
      list.push_back(
          workflow::chapter{c.number, c.title, c.content, static_cast<std::size_t>(c.words)});
      chapter_usage_[c.node_id] += usage_from_json(c.usage);
    }
    for (auto& [node, list] : chapters_) {
      std::sort(list.begin(), list.end(),
                [](const auto& a, const auto& b) { return a.number < b.number; });
    }
  }

  [[nodiscard]] const std::vector<workflow::chapter>* chapters_of(const std::string& node) const {
    auto it = chapters_.find(node);
    return it == chapters_.end() ? nullptr : &it->second;
  }
  [[nodiscard]] usage_totals chapter_usage_of(const std::string& node) const {
    auto it = chapter_usage_.find(node);
    return it == chapter_usage_.end() ? usage_totals{} : it->second;
  }

  // The finished output of node i, when it has a checkpoint.
  node_output_ptr rebuild(std::size_t i) {
    const auto& n = plan_.request.flow.nodes[i];
    auto found = checkpoints_.find(n.id);
    if (found == checkpoints_.end()) return nullptr;
    const auto& cp = found->second;
    auto out = std::make_shared<node_output>();
    out->node_id = n.id;
    out->kind = kind_from_name(cp.value("kind", std::string{}), n.kind);
    out->details = cp.value("details", nlohmann::json::object());
    out->model = cp.value("model", std::string{});
    out->provider = cp.value("provider", std::string{});
    if (cp.contains("warnings") && cp["warnings"].is_array()) {
      for (const auto& w : cp["warnings"]) {
        if (w.is_string()) out->warnings.push_back(w.get<std::string>());
      }
    }
    if (auto book_node = cp.value("bookNode", std::string{}); !book_node.empty()) {
      out->book = book_of(book_node, i);
    }
    if (auto outline_node = cp.value("outlineNode", std::string{}); !outline_node.empty()) {
      out->plan = outline_of(outline_node, cp, n.id);
    }
    out->text = cp.contains("text") ? cp.value("text", std::string{})
                                    : (out->book ? manuscript_text(*out->book) : std::string{});
    outputs_[n.id] = out;
    return out;
  }

 private:
  // A book is the chapters its node stored; a book joined at a node (parallel writers) is
  // joined again from that node's rebuilt inputs.
  std::shared_ptr<const manuscript> book_of(const std::string& book_node, std::size_t reader) {
    if (auto cached = books_.find(book_node); cached != books_.end()) return cached->second;
    std::shared_ptr<const manuscript> book;
    if (const auto* stored = chapters_of(book_node)) {
      auto m = std::make_shared<manuscript>();
      m->node_id = book_node;
      m->chapters = *stored;
      book = std::move(m);
    } else {
      const auto joiner = plan_.graph->index_of(book_node);
      const auto at = joiner == workflow::workflow_graph::npos ? reader : joiner;
      std::vector<std::shared_ptr<const manuscript>> inputs;
      for (auto p : plan_.graph->incoming(at)) {
        auto it = outputs_.find(plan_.request.flow.nodes[p].id);
        if (it != outputs_.end() && it->second) inputs.push_back(it->second->book);
      }
      book = merge_books(inputs, book_node);
    }
    books_[book_node] = book;
    return book;
  }

  std::shared_ptr<const outline> outline_of(const std::string& outline_node,
                                            const nlohmann::json& cp, const std::string& self) {
    if (auto cached = outlines_.find(outline_node); cached != outlines_.end())
      return cached->second;
    std::string text;
    if (outline_node == self) {
      text = cp.value("text", std::string{});
    } else if (auto it = checkpoints_.find(outline_node); it != checkpoints_.end()) {
      text = it->second.value("text", std::string{});
    }
    auto o = std::make_shared<const outline>(outline{outline_node, std::move(text)});
    outlines_[outline_node] = o;
    return o;
  }

  const execution_plan& plan_;
  std::map<std::string, nlohmann::json> checkpoints_;
  std::map<std::string, std::vector<workflow::chapter>> chapters_;
  std::map<std::string, usage_totals> chapter_usage_;
  std::map<std::string, node_output_ptr> outputs_;
  std::map<std::string, std::shared_ptr<const manuscript>> books_;
  std::map<std::string, std::shared_ptr<const outline>> outlines_;
};

}  // namespace

resume_state build_resume_state(const execution_plan& plan,
                                const persistence::execution_record& record,
                                const std::vector<persistence::node_run_record>& runs,
                                const std::vector<persistence::node_output_record>& outputs,
                                const std::vector<persistence::chapter_record>& chapters) {
  resume_state state;
  state.epoch = record.lease_epoch;
  state.last_seq = record.last_seq;
  state.progress = record.progress;
  state.started_at = record.started_at;
  state.cancel_requested = record.cancel_requested;
  state.cancel_reason = record.cancel_reason;
  const auto& nodes = plan.request.flow.nodes;
  state.nodes.resize(nodes.size());

  std::map<std::string, const persistence::node_run_record*> run_of;
  for (const auto& r : runs) run_of[r.node_id] = &r;

  rebuilder rebuild{plan, outputs, chapters};
  for (auto i : plan.graph->topological_order()) {
    auto& cp = state.nodes[i];
    const auto& id = nodes[i].id;
    if (auto it = run_of.find(id); it != run_of.end()) cp.run = *it->second;
    if (const auto* written = rebuild.chapters_of(id)) cp.chapters = *written;
    cp.chapters_usage = rebuild.chapter_usage_of(id);
    // Only completed nodes with their checkpoint are restored; anything else runs again (skipped
    // nodes cost nothing to redo, and unfinished writers keep their stored chapters).
    if (cp.run.status == "completed") {
      cp.output = rebuild.rebuild(i);
      cp.completed = cp.output != nullptr;
    }
  }
  return state;
}

}  // namespace lekhika::actors
