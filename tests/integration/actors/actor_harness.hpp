#pragma once

// A small harness that drives the engine's actors without HTTP: it starts an engine on a fresh
// SQLite file, builds plans from Lekhika-shaped bodies, talks to the registry through scoped
// actors, collects live events with an observer actor, and reads what was stored through a
// second store connection. Every wait has a time limit so that a stuck engine fails the test
// instead of hanging it.

#include <gtest/gtest.h>
#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "lekhika/actors/engine.hpp"
#include "lekhika/actors/env.hpp"
#include "lekhika/actors/execution_plan.hpp"
#include "lekhika/actors/messages.hpp"
#include "lekhika/persistence/store.hpp"
#include "lekhika/providers/catalog.hpp"
#include "lekhika/testing/temp_dir.hpp"

namespace lekhika::actor_tests {

using json = nlohmann::json;

/// Longest any single request to the engine may take in these tests.
inline constexpr std::chrono::seconds reply_timeout{60};

// ---- bodies ---------------------------------------------------------------------------------

/// An input node.
inline json input_node(const std::string& id) {
  return {{"id", id}, {"type", "input"}, {"data", {{"label", "Book details"}}}};
}

/// A process node with a role, a short prompt of our own and the given models.
inline json process_node(const std::string& id, const std::string& role,
                         json models = json::array({"offline:draft"}),
                         json extra = json::object()) {
  json data{{"label", "Step " + id},
            {"role", role},
            {"systemPrompt", "You are a careful assistant for a small test book."},
            {"userPrompt", "Work on the book about {topic} for step " + id + "."},
            {"selectedModels", std::move(models)}};
  for (auto& [key, value] : extra.items()) data[key] = value;
  return {{"id", id}, {"type", "process"}, {"data", std::move(data)}};
}

/// A condition node with the given rules.
inline json condition_node(const std::string& id, json rules) {
  return {{"id", id},
          {"type", "condition"},
          {"data", {{"label", "Gate " + id}, {"conditions", std::move(rules)}}}};
}

/// An output node exporting the given formats.
inline json output_node(const std::string& id, json formats = json::array({"md"})) {
  return {{"id", id},
          {"type", "output"},
          {"data", {{"label", "Book file"}, {"exportFormats", std::move(formats)}}}};
}

/// An edge.
inline json edge(const std::string& source, const std::string& target) {
  return {{"id", source + "-" + target}, {"source", source}, {"target", target}};
}

/// A body in the Lekhika VPS worker's shape.
inline json make_body(const std::string& user, json nodes, json edges, json inputs,
                      const std::optional<std::string>& execution_id = std::nullopt) {
  json body{{"userId", user},
            {"workflow", {{"nodes", std::move(nodes)}, {"edges", std::move(edges)}}},
            {"inputs", std::move(inputs)}};
  if (execution_id) body["executionId"] = *execution_id;
  return body;
}

/// input -> writer (chapter_count chapters) -> output: a run whose length the test chooses.
inline json writer_body(const std::string& user, int chapter_count,
                        const std::optional<std::string>& execution_id = std::nullopt) {
  return make_body(
      user,
      json::array({input_node("in"), process_node("writer", "content_writer"), output_node("out")}),
      json::array({edge("in", "writer"), edge("writer", "out")}),
      {{"topic", "lighthouses"},
       {"book_title", "Keepers of the Light"},
       {"chapter_count", std::to_string(chapter_count)}},
      execution_id);
}

/// input -> one researcher -> output: a short run of one model call.
inline json single_call_body(const std::string& user,
                             const std::optional<std::string>& execution_id = std::nullopt) {
  return make_body(
      user,
      json::array({input_node("in"), process_node("notes", "researcher"), output_node("out")}),
      json::array({edge("in", "notes"), edge("notes", "out")}), {{"topic", "tide pools"}},
      execution_id);
}

// ---- events -----------------------------------------------------------------------------------

/// The node an event is about ("" for execution events).
inline std::string node_of(const persistence::event_record& e) {
  if (!e.data.is_object()) return {};
  auto it = e.data.find("nodeId");
  return it != e.data.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

/// Positions of the events of `type` (about `node` when given), in log order.
inline std::vector<std::size_t> positions(const std::vector<persistence::event_record>& events,
                                          const std::string& type,
                                          const std::optional<std::string>& node = std::nullopt) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].type == type && (!node || node_of(events[i]) == *node)) out.push_back(i);
  }
  return out;
}

/// Position of the first event of `type` (about `node` when given), or nullopt.
inline std::optional<std::size_t> first(const std::vector<persistence::event_record>& events,
                                        const std::string& type,
                                        const std::optional<std::string>& node = std::nullopt) {
  auto found = positions(events, type, node);
  if (found.empty()) return std::nullopt;
  return found.front();
}

/// How many events of `type` (about `node` when given) there are.
inline std::size_t count(const std::vector<persistence::event_record>& events,
                         const std::string& type,
                         const std::optional<std::string>& node = std::nullopt) {
  return positions(events, type, node).size();
}

/// The event types in order, for failure messages.
inline std::string describe(const std::vector<persistence::event_record>& events) {
  std::string out;
  for (const auto& e : events) {
    out += std::to_string(e.seq) + ":" + e.type;
    if (auto n = node_of(e); !n.empty()) out += "(" + n + ")";
    out += " ";
  }
  return out;
}

/// True for the three terminal statuses.
inline bool is_terminal(const std::string& status) {
  return status == "completed" || status == "failed" || status == "cancelled";
}

/// Events an observer actor received, shared with the test thread.
class event_log {
 public:
  /// Called by the observer actor.
  void push(persistence::event_record event) {
    {
      std::lock_guard lock{mutex_};
      if (event.type == "execution.completed" || event.type == "execution.failed" ||
          event.type == "execution.cancelled") {
        ended_ = true;
      }
      events_.push_back(std::move(event));
    }
    changed_.notify_all();
  }
  /// Called by the observer actor when the execution was not live.
  void mark_not_live() {
    {
      std::lock_guard lock{mutex_};
      not_live_ = true;
    }
    changed_.notify_all();
  }
  /// A copy of what arrived so far.
  [[nodiscard]] std::vector<persistence::event_record> events() const {
    std::lock_guard lock{mutex_};
    return events_;
  }
  /// Waits until `done(events)` holds; false on timeout.
  bool wait_until(const std::function<bool(const std::vector<persistence::event_record>&)>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds{30}) {
    std::unique_lock lock{mutex_};
    return changed_.wait_for(lock, timeout, [&] { return done(events_); });
  }
  /// Waits for the terminal event.
  bool wait_for_end(std::chrono::milliseconds timeout = std::chrono::seconds{30}) {
    std::unique_lock lock{mutex_};
    return changed_.wait_for(lock, timeout, [&] { return ended_ || not_live_; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<persistence::event_record> events_;
  bool ended_ = false;
  bool not_live_ = false;
};

/// The observer's behaviour: record every event; stop after the terminal one.
inline caf::behavior event_collector(caf::event_based_actor* self, std::shared_ptr<event_log> log) {
  return {
      [self, log](actors::execution_event& e) {
        const bool terminal = e.event.type == "execution.completed" ||
                              e.event.type == "execution.failed" ||
                              e.event.type == "execution.cancelled";
        log->push(std::move(e.event));
        if (terminal) self->quit();
      },
      [self, log](actors::not_live&) {
        log->mark_not_live();
        self->quit();
      },
  };
}

// ---- the engine ---------------------------------------------------------------------------------

/// Settings a test can change before the engine starts.
struct harness_options {
  std::chrono::milliseconds latency{100};
  std::chrono::seconds execution_timeout{60};
  int max_running = 2000;
  int max_queued = 100000;
  int tenant_max_running = 50;
  std::map<std::string, std::string> env;  ///< what the provider catalog sees as environment
  actors::call_policy calls;               ///< timeouts and retries of network calls

  harness_options& limit_running(int n) {
    max_running = n;
    return *this;
  }
  harness_options& limit_queued(int n) {
    max_queued = n;
    return *this;
  }
  harness_options& limit_per_tenant(int n) {
    tenant_max_running = n;
    return *this;
  }
  harness_options& time_limit(std::chrono::seconds limit) {
    execution_timeout = limit;
    return *this;
  }
  harness_options& set_env(const std::string& name, const std::string& value) {
    env[name] = value;
    return *this;
  }
};

/// Options with the offline provider's latency set.
inline harness_options with_latency(std::chrono::milliseconds latency) {
  harness_options options;
  options.latency = latency;
  return options;
}

/// One engine on a fresh database and artifact folder; stopped on destruction.
class engine_harness {
 public:
  explicit engine_harness(harness_options options = {}) : options_(std::move(options)) { start(); }

  engine_harness(const engine_harness&) = delete;
  engine_harness& operator=(const engine_harness&) = delete;
  ~engine_harness() { stop(); }

  /// True when the engine runs (tests ASSERT this first).
  [[nodiscard]] bool ready() const { return engine_ != nullptr; }
  [[nodiscard]] actors::engine& engine() { return *engine_; }
  [[nodiscard]] std::string database_url() const {
    return "sqlite://" + (dir_.path() / "db.sqlite").string();
  }

  /// Observers first (they are ordinary actors the system would wait for), then the engine.
  void stop() {
    if (!engine_) return;
    for (auto& observer : observers_) {
      caf::anon_send_exit(observer, caf::exit_reason::user_shutdown);
    }
    observers_.clear();
    engine_->stop();
    engine_.reset();
  }

  /// Stops the engine and starts a new one on the same database and artifact folder (as a
  /// process restart would).
  void restart() {
    stop();
    start();
  }

  // ---- admission and control ----------------------------------------------------------------

  /// A plan for `body` (a fresh id when the body has none); null (and a test failure) when
  /// admission refuses it.
  [[nodiscard]] actors::execution_plan_ptr plan(const json& body) {
    auto made = actors::make_plan(body, engine_->catalog(), {}, actors::new_execution_id(),
                                  actors::now_ms());
    if (auto* refused = std::get_if<actors::admission_error>(&made)) {
      std::string details;
      for (const auto& p : refused->details) details += "\n  " + p.path + ": " + p.message;
      ADD_FAILURE() << "plan refused: " << refused->code << ": " << refused->message << details;
      return nullptr;
    }
    return std::get<actors::execution_plan_ptr>(std::move(made));
  }

  /// Submits a plan; with `wait_for_end` the answer comes when the execution has ended.
  [[nodiscard]] actors::submit_reply submit(const actors::execution_plan_ptr& plan,
                                            bool wait_for_end, caf::actor observer = {}) {
    actors::submit_reply out;
    caf::scoped_actor self{engine_->system()};
    self->request(engine_->registry(), reply_timeout,
                  actors::submit_execution{plan, wait_for_end, std::move(observer)})
        .receive([&](actors::submit_reply& reply) { out = std::move(reply); },
                 [&](caf::error& err) {
                   out.error = failure{"test_request_failed", to_string(err)};
                 });
    return out;
  }

  /// Plans, submits and waits for the end; the final record (or a test failure).
  [[nodiscard]] actors::final_result_ptr run(const json& body) {
    auto p = plan(body);
    if (!p) return nullptr;
    auto reply = submit(p, true);
    if (reply.error) {
      ADD_FAILURE() << "submit failed: " << reply.error->code << ": " << reply.error->message;
      return nullptr;
    }
    if (!reply.final) ADD_FAILURE() << "submit with wait_for_end answered without a final result";
    return reply.final;
  }

  /// Operator cancellation.
  [[nodiscard]] actors::cancel_reply cancel(const std::string& id, bool wait_for_end) {
    actors::cancel_reply out;
    caf::scoped_actor self{engine_->system()};
    self->request(engine_->registry(), reply_timeout,
                  actors::cancel_request{id, std::nullopt, "cancelled by the test", wait_for_end})
        .receive([&](actors::cancel_reply& reply) { out = std::move(reply); },
                 [&](caf::error& err) { ADD_FAILURE() << "cancel failed: " << to_string(err); });
    return out;
  }

  /// The live state of an execution.
  [[nodiscard]] actors::execution_snapshot live(const std::string& id) {
    actors::execution_snapshot out;
    caf::scoped_actor self{engine_->system()};
    self->request(engine_->registry(), reply_timeout, actors::live_query{id, std::nullopt})
        .receive(
            [&](actors::execution_snapshot& snap) { out = std::move(snap); },
            [&](caf::error& err) { ADD_FAILURE() << "live query failed: " << to_string(err); });
    return out;
  }

  /// The registry's counters.
  [[nodiscard]] actors::registry_stats stats() {
    actors::registry_stats out;
    caf::scoped_actor self{engine_->system()};
    self->request(engine_->registry(), reply_timeout, actors::stats_atom::value)
        .receive([&](actors::registry_stats& s) { out = std::move(s); },
                 [&](caf::error& err) { ADD_FAILURE() << "stats failed: " << to_string(err); });
    return out;
  }

  /// An observer actor and the log it fills; pass the actor to submit().
  [[nodiscard]] std::pair<caf::actor, std::shared_ptr<event_log>> observer() {
    auto log = std::make_shared<event_log>();
    auto actor = engine_->system().spawn(event_collector, log);
    observers_.push_back(actor);
    return {actor, log};
  }

  // ---- what was stored ------------------------------------------------------------------------

  /// The second connection (opened on first use).
  [[nodiscard]] persistence::store* store() {
    if (!store_) {
      auto opened = persistence::open_store(database_url());
      if (!opened) {
        ADD_FAILURE() << "cannot open the store: " << opened.error().message;
        return nullptr;
      }
      store_ = std::move(opened).value();
    }
    return store_.get();
  }

  [[nodiscard]] std::optional<persistence::execution_record> stored(const std::string& id) {
    auto* db = store();
    if (db == nullptr) return std::nullopt;
    auto found = db->get_execution(id, std::nullopt);
    if (!found) {
      ADD_FAILURE() << "get_execution: " << found.error().message;
      return std::nullopt;
    }
    return found.value();
  }

  [[nodiscard]] std::vector<persistence::event_record> events(const std::string& id) {
    auto* db = store();
    if (db == nullptr) return {};
    auto found = db->events_after(id, 0, 100000);
    if (!found) {
      ADD_FAILURE() << "events_after: " << found.error().message;
      return {};
    }
    return found.value();
  }

  [[nodiscard]] std::vector<persistence::node_run_record> node_runs(const std::string& id) {
    auto* db = store();
    if (db == nullptr) return {};
    auto found = db->node_runs(id);
    if (!found) {
      ADD_FAILURE() << "node_runs: " << found.error().message;
      return {};
    }
    return found.value();
  }

  /// One node's run (a default record with an empty status when there is none).
  [[nodiscard]] persistence::node_run_record node_run(const std::string& id,
                                                      const std::string& node) {
    for (auto& run : node_runs(id)) {
      if (run.node_id == node) return run;
    }
    return {};
  }

  [[nodiscard]] std::vector<persistence::chapter_record> chapters(
      const std::string& id, const std::optional<std::string>& node = std::nullopt) {
    auto* db = store();
    if (db == nullptr) return {};
    auto found = db->chapters(id);
    if (!found) {
      ADD_FAILURE() << "chapters: " << found.error().message;
      return {};
    }
    std::vector<persistence::chapter_record> out;
    for (auto& c : found.value()) {
      if (!node || c.node_id == *node) out.push_back(std::move(c));
    }
    return out;
  }

  [[nodiscard]] std::vector<persistence::artifact_record> artifacts(const std::string& id) {
    auto* db = store();
    if (db == nullptr) return {};
    auto found = db->artifacts(id);
    if (!found) {
      ADD_FAILURE() << "artifacts: " << found.error().message;
      return {};
    }
    return found.value();
  }

  /// Polls the store until the execution's row satisfies `done` (writes the registry makes
  /// without a flush, such as a queued cancellation, land within a batch interval).
  [[nodiscard]] std::optional<persistence::execution_record> wait_stored(
      const std::string& id, const std::function<bool(const persistence::execution_record&)>& done,
      std::chrono::milliseconds timeout = std::chrono::seconds{30}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto row = stored(id);
      if (row && done(*row)) return row;
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
  }

  /// Waits until the stored row is terminal and its terminal event is stored.
  [[nodiscard]] std::optional<persistence::execution_record> wait_stored_end(
      const std::string& id, std::chrono::milliseconds timeout = std::chrono::seconds{30}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto row = stored(id);
      if (row && is_terminal(row->status)) {
        const auto log = events(id);
        if (!log.empty() && log.back().type == "execution." + row->status) return row;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
  }

 private:
  void start() {
    const auto env = options_.env;
    auto catalog = providers::provider_catalog::build(
        [env](std::string_view name) -> std::optional<std::string> {
          if (auto it = env.find(std::string{name}); it != env.end()) return it->second;
          return std::nullopt;
        },
        nullptr);
    if (!catalog) {
      ADD_FAILURE() << "provider catalog: " << catalog.error().message;
      return;
    }
    actors::engine_settings settings;
    settings.database_url = database_url();
    settings.artifact_dir = (dir_.path() / "artifacts").string();
    settings.offline_latency = options_.latency;
    settings.execution_timeout = options_.execution_timeout;
    settings.max_running_executions = options_.max_running;
    settings.max_queued_executions = options_.max_queued;
    settings.tenant_max_running = options_.tenant_max_running;
    settings.scheduler_threads = 4;
    settings.worker_id = "actors-test";
    settings.calls = options_.calls;
    auto started = actors::engine::start(std::move(settings), std::move(catalog).value());
    if (!started) {
      ADD_FAILURE() << "engine did not start: " << started.error().message;
      return;
    }
    engine_ = std::move(started).value();
  }

  harness_options options_;
  testing::temp_dir dir_;
  std::unique_ptr<actors::engine> engine_;
  std::unique_ptr<persistence::store> store_;
  std::vector<caf::actor> observers_;
};

}  // namespace lekhika::actor_tests
