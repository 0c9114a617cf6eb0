#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "lekhika/actors/log.hpp"
#include "lekhika/actors/spawn.hpp"
#include "lekhika/publishing/book.hpp"
#include "node_actor.hpp"

namespace lekhika::actors {
namespace {

/// Longest the supervisor waits for the store to confirm the final state.
constexpr std::chrono::seconds final_flush_timeout{60};

struct supervisor_state {
  static inline const char* name = "execution_supervisor";

  supervisor_actor::stateful_pointer<supervisor_state> self = nullptr;
  execution_plan_ptr plan;
  execution_env_ptr env;
  registry_actor registry;
  std::int64_t epoch = 1;   // the lease this worker writes under
  resume_state_ptr resume;  // set when the execution was taken over

  std::vector<node_actor> nodes;
  std::unordered_map<caf::actor_addr, std::size_t> node_by_addr;
  std::vector<persistence::node_run_record> runs;
  std::vector<bool> terminal;
  std::size_t terminal_count = 0;
  std::vector<node_output_ptr> outputs;
  std::vector<std::vector<workflow::chapter>> partial_chapters;

  usage_totals usage;
  std::string status = "queued";
  int progress = 0;
  std::int64_t started_at = 0;
  std::int64_t seq = 1;  // the registry stored execution.queued as event 1

  std::optional<failure> error;
  std::string error_node;
  int error_attempts = 0;
  bool stopping = false;  // the remaining nodes are being cancelled
  bool cancel_requested = false;
  bool finalizing = false;
  std::vector<caf::actor> observers;

  [[nodiscard]] std::size_t size() const { return plan->request.flow.nodes.size(); }
  [[nodiscard]] const workflow::node& spec(std::size_t i) const {
    return plan->request.flow.nodes[i];
  }

  // ---- events and writes -----------------------------------------------------------------------

  void emit(const std::string& type, nlohmann::json data, persistence::write_batch writes = {}) {
    data["executionId"] = plan->execution_id;
    data["progress"] = progress;
    persistence::event_record event{plan->execution_id, ++seq, type, std::move(data), now_ms()};
    writes.emplace_back(event);
    write(std::move(writes));
    for (const auto& observer : observers) caf::anon_send(observer, execution_event{event});
  }

  // Every write of this execution is made under its lease: once another worker has taken the
  // execution over, the store refuses them.
  void write(persistence::write_batch writes) {
    self->send(env->writer,
               persist{std::move(writes), persistence::fence{plan->execution_id, epoch}});
  }

  [[nodiscard]] persistence::execution_update progress_update() {
    recompute_progress();
    persistence::execution_update update;
    update.id = plan->execution_id;
    update.progress = progress;
    return update;
  }

  void recompute_progress() {
    double sum = 0.0;
    for (std::size_t i = 0; i < size(); ++i) {
      if (terminal[i]) {
        sum += 1.0;
      } else if (runs[i].status == "running") {
        sum += runs[i].chapters_total > 0
                   ? 0.1 + 0.8 * static_cast<double>(runs[i].chapters_done) / runs[i].chapters_total
                   : 0.1;
      }
    }
    const int computed =
        std::min(99, static_cast<int>(std::floor(100.0 * sum / static_cast<double>(size()))));
    progress = std::max(progress, computed);  // never decreasing
  }

  // ---- start ----------------------------------------------------------------------------------

  void start() {
    if (status != "queued") return;
    status = "running";
    started_at = resume && resume->started_at > 0 ? resume->started_at : now_ms();
    if (resume) restore();
    persistence::execution_update update;
    update.id = plan->execution_id;
    update.status = status;
    update.started_at = started_at;
    nlohmann::json data{{"workerId", env->settings.worker_id}};
    if (resume) {
      data["resumed"] = true;
      data["restoredNodes"] = terminal_count;
    }
    emit("execution.started", std::move(data), {update});

    // Spawn in reverse topological order so that every node is born knowing its successors.
    // Restored nodes get no actor: they finished before the takeover.
    const auto order = plan->graph->topological_order();
    nodes.resize(size());
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      if (terminal[*it]) continue;
      std::vector<successor> successors;
      for (auto next : plan->graph->outgoing(*it)) {
        if (!terminal[next]) successors.emplace_back(next, nodes[next]);
      }
      std::vector<workflow::chapter> written;
      usage_totals written_usage;
      if (resume) {
        written = resume->nodes[*it].chapters;
        written_usage = resume->nodes[*it].chapters_usage;
      }
      auto actor = spawn_node(self->system(), plan, *it, std::move(successors), self, env,
                              std::move(written), written_usage);
      self->monitor(actor);
      node_by_addr.emplace(actor.address(), *it);
      nodes[*it] = std::move(actor);
    }
    self->delayed_send(self, env->settings.execution_timeout, deadline_atom::value);
    // Restored nodes deliver what they had delivered before (a condition only on its taken arms).
    for (std::size_t i = 0; i < size(); ++i) {
      if (!terminal[i] || !outputs[i]) continue;
      for (auto next : plan->graph->outgoing(i)) {
        if (!terminal[next]) self->send(nodes[next], edge_delivery{i, delivered_to(i, next)});
      }
    }
    for (std::size_t i = 0; i < size(); ++i) {
      if (!terminal[i] && plan->graph->incoming(i).empty()) self->send(nodes[i], start_atom::value);
    }
    if (terminal_count == size()) {
      finalize();
      return;
    }
    if (resume && resume->cancel_requested) cancel(resume->cancel_reason);
  }

  // Takes over the finished nodes of a resumed execution: their runs, outputs, usage and the
  // chapters of every node, so that nothing finished is generated again.
  void restore() {
    seq = std::max(seq, resume->last_seq);
    progress = resume->progress;
    for (std::size_t i = 0; i < size(); ++i) {
      const auto& cp = resume->nodes[i];
      partial_chapters[i] = cp.chapters;
      if (!cp.completed) continue;
      terminal[i] = true;
      ++terminal_count;
      runs[i] = cp.run;
      outputs[i] = cp.output;
      usage += usage_from_run(cp.run.usage);
    }
  }

  [[nodiscard]] static usage_totals usage_from_run(const nlohmann::json& j) {
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

  // What restored node `from` delivers to `to`: its output, or nothing on an arm a condition
  // did not take.
  [[nodiscard]] node_output_ptr delivered_to(std::size_t from, std::size_t to) const {
    const auto& out = outputs[from];
    if (spec(from).kind != workflow::role_kind::condition) return out;
    const auto& not_taken = out->details.value("notTaken", nlohmann::json::array());
    for (const auto& id : not_taken) {
      if (id.is_string() && id.get<std::string>() == spec(to).id) return nullptr;
    }
    return out;
  }

  // ---- node reports ---------------------------------------------------------------------------

  void on_started(std::size_t i) {
    if (terminal[i]) return;
    runs[i].status = "running";
    runs[i].started_at = now_ms();
    emit("node.started",
         {{"nodeId", spec(i).id},
          {"role", spec(i).role},
          {"kind", workflow::to_string(spec(i).kind)}},
         {runs[i], progress_update()});
  }

  void on_retrying(const node_retrying& r) {
    if (terminal[r.node]) return;
    emit("node.retrying", {{"nodeId", spec(r.node).id},
                           {"attempt", r.attempt},
                           {"delayMs", r.delay_ms},
                           {"cause", r.cause},
                           {"model", r.model}});
  }

  void on_progress(const node_progress& p) {
    if (terminal[p.node]) return;
    auto& run = runs[p.node];
    run.chapters_done = p.chapters_done;
    run.chapters_total = p.chapters_total;
    if (p.chapters_done == 0) {
      write({run});
      return;
    }
    emit("node.progress",
         {{"nodeId", spec(p.node).id},
          {"chapter", p.chapters_done},
          {"of", p.chapters_total},
          {"outputTokens", p.output_tokens}},
         {run, progress_update()});
  }

  void on_chapter(chapter_finished& c) {
    persistence::chapter_record record{
        plan->execution_id, spec(c.node).id,   c.chapter.number,
        c.chapter.title,    c.chapter.content, static_cast<std::int64_t>(c.chapter.words),
        c.usage.to_json()};
    write({std::move(record)});
    partial_chapters[c.node].push_back(std::move(c.chapter));
  }

  void on_finished(node_finished& f) {
    const auto i = f.node;
    if (terminal[i]) return;
    terminal[i] = true;
    ++terminal_count;
    auto& run = runs[i];
    run.status = f.status;
    run.finished_at = now_ms();
    if (run.started_at == 0 && f.status != "cancelled") run.started_at = run.finished_at;
    run.attempts = f.attempts;
    run.usage = f.usage.to_json();
    usage += f.usage;
    outputs[i] = f.output;

    const auto& id = spec(i).id;
    persistence::write_batch writes{run, progress_update()};
    if (f.status == "completed") {
      writes.emplace_back(
          persistence::node_output_record{plan->execution_id, id, checkpoint_of(*f.output)});
      nlohmann::json data{{"nodeId", id}, {"usage", f.usage.to_json()}};
      if (f.output->book) data["chapters"] = f.output->book->chapters.size();
      if (!f.output->warnings.empty()) data["warnings"] = f.output->warnings;
      emit("node.completed", std::move(data), std::move(writes));
    } else if (f.status == "skipped") {
      run.error = nullptr;
      writes[0] = run;
      emit("node.skipped", {{"nodeId", id}, {"reason", f.reason}}, std::move(writes));
    } else if (f.status == "failed") {
      const auto err = f.error.value_or(failure{"node_failed", "node failed"});
      run.error = {{"code", err.code}, {"message", err.message}};
      if (err.provider_status > 0) run.error["providerStatus"] = err.provider_status;
      writes[0] = run;
      emit("node.failed", {{"nodeId", id}, {"error", run.error}, {"attempts", f.attempts}},
           std::move(writes));
      if (!error) {
        error = err;
        error_node = id;
        error_attempts = f.attempts;
      }
      stop_all();
    } else {  // cancelled: recorded, no event of its own (execution.cancelled follows)
      write(std::move(writes));
    }
    if (terminal_count == size()) finalize();
  }

  // What a later resume needs of a finished node; chapters live in their own rows.
  [[nodiscard]] nlohmann::json checkpoint_of(const node_output& out) const {
    nlohmann::json checkpoint{{"kind", workflow::to_string(out.kind)}, {"details", out.details}};
    if (!out.book) checkpoint["text"] = out.text;
    if (out.book) checkpoint["bookNode"] = out.book->node_id;
    if (out.plan) checkpoint["outlineNode"] = out.plan->node_id;
    if (!out.model.empty()) checkpoint["model"] = out.model;
    if (!out.provider.empty()) checkpoint["provider"] = out.provider;
    if (!out.warnings.empty()) checkpoint["warnings"] = out.warnings;
    return checkpoint;
  }

  void on_node_down(const caf::down_msg& down) {
    auto it = node_by_addr.find(down.source);
    if (it == node_by_addr.end()) return;
    const auto i = it->second;
    node_by_addr.erase(it);
    if (terminal[i]) return;
    // The node died without reporting: an internal error, not the node's own outcome.
    node_finished f;
    f.node = i;
    f.status = "failed";
    f.error =
        failure{"internal_error", "node actor stopped unexpectedly: " + to_string(down.reason)};
    log::error("node actor stopped unexpectedly", {{"executionId", plan->execution_id},
                                                   {"nodeId", spec(i).id},
                                                   {"reason", to_string(down.reason)}});
    on_finished(f);
  }

  // ---- cancel, failure, timeout ----------------------------------------------------------------

  void stop_all() {
    if (stopping) return;
    stopping = true;
    for (std::size_t i = 0; i < size(); ++i) {
      if (!terminal[i]) self->send(nodes[i], cancel_atom::value);
    }
  }

  void cancel(const std::string& reason) {
    if (finalizing || cancel_requested) return;
    cancel_requested = true;
    if (status == "queued") {
      // Never started: nothing to stop.
      finalize();
      return;
    }
    status = "cancelling";
    persistence::execution_update update;
    update.id = plan->execution_id;
    update.status = status;
    emit("execution.cancelling", {{"reason", reason}}, {update});
    stop_all();
  }

  void on_deadline() {
    if (finalizing || stopping) return;
    error = failure{"execution_timeout",
                    "the execution exceeded its time limit of " +
                        std::to_string(env->settings.execution_timeout.count()) + " s"};
    stop_all();
  }

  // ---- the end --------------------------------------------------------------------------------

  [[nodiscard]] nlohmann::json node_result(std::size_t i) const {
    const auto& n = spec(i);
    nlohmann::json entry{
        {"type", workflow::to_string(n.type)},
        {"role", n.role},
        {"status", runs[i].status},
        {"usage", runs[i].usage.is_null() ? usage_totals{}.to_json() : runs[i].usage}};
    if (!runs[i].error.is_null()) entry["error"] = runs[i].error;
    const auto& out = outputs[i];
    if (!out) return entry;
    if (out->book && out->book->node_id == n.id) {
      nlohmann::json chapters = nlohmann::json::array();
      for (const auto& ch : out->book->chapters) {
        chapters.push_back({{"number", ch.number}, {"title", ch.title}, {"words", ch.words}});
      }
      entry["chapters"] = std::move(chapters);
    } else if (n.kind != workflow::role_kind::output && !out->text.empty()) {
      entry["text"] = out->text;
    }
    if (n.kind == workflow::role_kind::condition) entry["decision"] = out->details;
    if (out->details.contains("skipped")) entry["reason"] = out->details["skipped"];
    if (!out->model.empty()) entry["model"] = out->model;
    if (!out->provider.empty()) entry["provider"] = out->provider;
    if (!out->warnings.empty()) entry["warnings"] = out->warnings;
    return entry;
  }

  // The book of a run that did not reach its output node: the furthest manuscript, or the
  // chapters written so far.
  [[nodiscard]] nlohmann::json partial_book() const {
    const auto order = plan->graph->topological_order();
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      std::vector<workflow::chapter> chapters;
      if (outputs[*it] && outputs[*it]->book) {
        chapters = outputs[*it]->book->chapters;
      } else if (!partial_chapters[*it].empty()) {
        chapters = partial_chapters[*it];
        std::sort(chapters.begin(), chapters.end(),
                  [](const auto& a, const auto& b) { return a.number < b.number; });
      } else {
        continue;
      }
      return publishing::book_to_json(publishing::compile_book(plan->input, std::move(chapters)));
    }
    return nullptr;
  }

  void finalize() {
    if (finalizing) return;
    finalizing = true;
    const std::string final_status =
        error ? "failed" : (cancel_requested ? "cancelled" : "completed");
    // `status` stays as it was (running or cancelling) until the final state is stored: a client
    // that sees a terminal status may read the stored rows and artifacts at once.
    if (final_status == "completed") progress = 100;

    nlohmann::json nodes_json = nlohmann::json::object();
    nlohmann::json book = nullptr;
    nlohmann::json output = nullptr;
    std::map<std::string, std::string> inline_text;
    for (std::size_t i = 0; i < size(); ++i) {
      nodes_json[spec(i).id] = node_result(i);
      const auto& out = outputs[i];
      if (out && spec(i).kind == workflow::role_kind::output && runs[i].status == "completed") {
        book = out->details.value("book", nlohmann::json{});
        output = out->details.value("output", nlohmann::json{});
        if (out->inline_text) inline_text = *out->inline_text;
      }
    }
    if (book.is_null()) book = partial_book();
    if (!plan->warnings.empty()) {
      nlohmann::json warnings = nlohmann::json::array();
      for (const auto& w : plan->warnings)
        warnings.push_back({{"path", w.path}, {"message", w.message}});
      if (output.is_null()) output = nlohmann::json::object();
      output["validationWarnings"] = std::move(warnings);
    }

    auto final = std::make_shared<final_result>();
    auto& record = final->record;
    record.id = plan->execution_id;
    record.user_id = plan->user_id;
    record.engine_id = plan->engine_id;
    record.status = final_status;
    record.progress = progress;
    record.created_at = plan->created_at_ms;
    record.started_at = started_at;
    record.finished_at = now_ms();
    record.usage = usage.to_json();
    record.result = {{"nodes", std::move(nodes_json)}, {"book", std::move(book)}};
    record.output = std::move(output);
    if (error) {
      record.error = {{"code", error->code}, {"message", error->message}};
      if (!error_node.empty()) {
        record.error["nodeId"] = error_node;
        record.error["attempts"] = error_attempts;
      }
      if (error->provider_status > 0) record.error["providerStatus"] = error->provider_status;
    }
    final->inline_text = std::move(inline_text);

    persistence::execution_update update;
    update.id = record.id;
    update.status = record.status;
    update.progress = record.progress;
    update.finished_at = record.finished_at;
    update.usage = record.usage;
    update.error = record.error;
    update.result = record.result;
    update.output = record.output;
    nlohmann::json data{{"status", record.status}, {"usage", record.usage}};
    if (!record.error.is_null()) data["error"] = record.error;
    emit("execution." + final_status, std::move(data), {std::move(update)});
    record.last_seq = seq;

    // Answer the waiters, and show the terminal status, only once the final state is durable.
    final_result_ptr shared = std::move(final);
    self->request(env->writer, final_flush_timeout, flush_atom::value)
        .then(
            [this, shared](flush_reply& reply) {
              if (reply.error) {
                log::error("final state of an execution not yet stored; kept for retry",
                           {{"executionId", plan->execution_id}, {"error", reply.error->message}});
              }
              finish(shared);
            },
            [this, shared](caf::error& err) {
              log::error("store did not confirm the final state",
                         {{"executionId", plan->execution_id}, {"error", to_string(err)}});
              finish(shared);
            });
  }

  void finish(const final_result_ptr& final) {
    self->send(registry, execution_ended{plan->execution_id, final});
    self->quit();
  }

  [[nodiscard]] execution_snapshot snapshot() const {
    execution_snapshot snap;
    snap.found = true;
    snap.nodes = runs;
    auto& r = snap.record;
    r.id = plan->execution_id;
    r.user_id = plan->user_id;
    r.engine_id = plan->engine_id;
    r.status = status;
    r.progress = progress;
    r.created_at = plan->created_at_ms;
    r.started_at = started_at;
    r.usage = usage.to_json();
    r.last_seq = seq;
    if (error)
      r.error = {{"code", error->code}, {"message", error->message}, {"nodeId", error_node}};
    return snap;
  }
};

supervisor_actor::behavior_type supervisor_behavior(
    supervisor_actor::stateful_pointer<supervisor_state> self, execution_plan_ptr plan,
    execution_env_ptr env, registry_actor registry, std::int64_t epoch, resume_state_ptr resume) {
  auto& st = self->state;
  st.self = self;
  st.plan = std::move(plan);
  st.env = std::move(env);
  st.registry = std::move(registry);
  st.epoch = epoch;
  st.resume = std::move(resume);
  const auto n = st.size();
  st.terminal.assign(n, false);
  st.outputs.assign(n, nullptr);
  st.partial_chapters.resize(n);
  st.runs.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    st.runs[i].execution_id = st.plan->execution_id;
    st.runs[i].node_id = st.spec(i).id;
    st.runs[i].status = "pending";
  }
  self->set_down_handler([self](caf::down_msg& down) { self->state.on_node_down(down); });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (std::size_t i = 0; i < self->state.nodes.size(); ++i) {
      if (!self->state.terminal[i] && self->state.nodes[i])
        self->send_exit(self->state.nodes[i], msg.reason);
    }
    self->quit(msg.reason);
  });
  return {
      [self](start_atom) { self->state.start(); },
      [self](cancel_atom, std::string& reason) { self->state.cancel(reason); },
      [self](snapshot_atom) -> execution_snapshot { return self->state.snapshot(); },
      [self](subscribe_events& s) { self->state.observers.push_back(std::move(s.observer)); },
      [self](node_started& s) { self->state.on_started(s.node); },
      [self](node_progress& p) { self->state.on_progress(p); },
      [self](node_retrying& r) { self->state.on_retrying(r); },
      [self](chapter_finished& c) { self->state.on_chapter(c); },
      [self](node_finished& f) { self->state.on_finished(f); },
      [self](deadline_atom) { self->state.on_deadline(); },
  };
}

}  // namespace

supervisor_actor spawn_supervisor(caf::actor_system& system, execution_plan_ptr plan,
                                  execution_env_ptr env, registry_actor registry,
                                  std::int64_t epoch, resume_state_ptr resume) {
  return system.spawn(supervisor_behavior, std::move(plan), std::move(env), std::move(registry),
                      epoch, std::move(resume));
}

}  // namespace lekhika::actors
