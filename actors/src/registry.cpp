#include <deque>
#include <set>
#include <unordered_map>
#include <utility>

#include "lekhika/actors/log.hpp"
#include "lekhika/actors/spawn.hpp"

namespace lekhika::actors {
namespace {

/// Longest admission waits for the store to create the row.
constexpr std::chrono::seconds admission_timeout{30};
/// Tenants listed in stats (the busiest).
constexpr std::size_t stats_top_tenants = 20;

enum class phase { admitting, queued, running };

struct pending_submit {
  caf::typed_response_promise<submit_reply> promise;
  bool wait_for_end = false;
  bool joined = false;  // the id existed when this request came: it attached
};

struct entry {
  execution_plan_ptr plan;
  phase state = phase::admitting;
  std::int64_t epoch = 1;   // the lease epoch this worker holds the execution under
  resume_state_ptr resume;  // set when taken over from a worker that stopped
  supervisor_actor supervisor;
  std::uint64_t queue_seq = 0;
  std::vector<pending_submit> admission_waiters;  // submits of this id while the row is created
  std::vector<pending_submit> end_waiters;
  persistence::event_record first_event;  // execution.queued, for observers once stored
  std::vector<caf::typed_response_promise<cancel_reply>> cancel_waiters;
  std::vector<caf::actor> observers;  // subscribed before the supervisor existed
  bool cancel_after_admission = false;
  std::string cancel_reason;
  // Admitted into the shared queue (a PostgreSQL store, no free slot here): stored without a
  // lease, so that whichever worker has room first claims it; this worker does not keep it.
  bool pooled = false;
};

/// Per-tenant queue. Cancelled entries are removed lazily (skipped when they reach the front),
/// so cancelling a queued execution is O(1); `cancelled` remembers them until then so that queue
/// positions stay exact.
struct tenant {
  std::deque<std::pair<std::uint64_t, std::string>> queue;  // (sequence, execution id)
  std::set<std::uint64_t> cancelled;  // sequences of cancelled entries still in `queue`
  std::uint64_t enqueued_total = 0;
  std::uint64_t popped = 0;  // entries taken off the front so far
  int running = 0;
  int queued = 0;
  bool in_ring = false;
};

struct registry_state {
  static inline const char* name = "execution_registry";

  registry_actor::stateful_pointer<registry_state> self = nullptr;
  execution_env_ptr env;
  std::unordered_map<std::string, entry> live;
  std::unordered_map<std::string, tenant> tenants;
  std::deque<std::string> ring;  // tenants that have queued work and room to run it
  std::unordered_map<caf::actor_addr, std::string> by_supervisor;
  int running = 0;
  int queued = 0;
  int admitting = 0;
  bool draining = false;
  std::map<std::string, std::int64_t> ended_by_status;
  std::vector<caf::typed_response_promise<registry_stats>> drain_waiters;
  int resuming = 0;       // claimed executions whose checkpoints are being read
  bool claiming = false;  // a claim is on its way to the store
  bool claim_again = false;
  bool claim_again_for_cancel = false;  // ...and claim even without a free slot (a cancel)
  // Callers waiting for executions that run on another worker: answered when it ends there.
  std::unordered_map<std::string, std::vector<pending_submit>> remote_submits;
  std::unordered_map<std::string, std::vector<caf::typed_response_promise<cancel_reply>>>
      remote_cancels;
  bool remote_poll_scheduled = false;

  // ---- admission ------------------------------------------------------------------------------

  caf::result<submit_reply> submit(submit_execution& msg) {
    const auto& plan = msg.plan;
    if (auto it = live.find(plan->execution_id); it != live.end()) return attach(it->second, msg);
    if (draining) return refuse("not_ready", "the worker is shutting down");
    // Only executions that would have to wait count against MAX_QUEUED_EXECUTIONS: with free
    // running slots a submission starts at once even when the queue limit is zero.
    const int free_slots = std::max(0, env->settings.max_running_executions - running);
    if (queued + admitting - free_slots >= env->settings.max_queued_executions) {
      return refuse("overloaded", "the queue is full (" + std::to_string(queued + admitting) +
                                      " executions waiting)");
    }
    auto promise = self->make_response_promise<submit_reply>();
    auto& e = live[plan->execution_id];
    e.plan = plan;
    if (msg.observer) e.observers.push_back(msg.observer);
    e.admission_waiters.push_back({promise, msg.wait_for_end, false});
    ++admitting;

    create_execution_cmd cmd;
    cmd.record.id = plan->execution_id;
    cmd.record.user_id = plan->user_id;
    cmd.record.engine_id = plan->engine_id;
    cmd.record.status = "queued";
    cmd.record.request_json = plan->request_json;
    cmd.record.request_hash = plan->request_hash;
    cmd.record.created_at = plan->created_at_ms;
    cmd.record.last_seq = 1;
    // Leased from the start: no other worker takes it over while this one is alive. Except
    // when it would have to wait here and workers share the store: then it goes unleased into
    // the shared queue (claimed oldest first by the first worker with a free slot).
    e.pooled = env->shared_store && env->settings.recover &&
               running + queued + (admitting - 1) >= env->settings.max_running_executions;
    cmd.record.lease_epoch = 1;
    if (!e.pooled) {
      cmd.record.lease_owner = env->settings.worker_id;
      cmd.record.lease_expires_at = now_ms() + env->settings.lease_ttl.count();
    }
    cmd.first_event = {
        plan->execution_id,
        1,
        "execution.queued",
        {{"executionId", plan->execution_id}, {"userId", plan->user_id}, {"progress", 0}},
        plan->created_at_ms};
    e.first_event = cmd.first_event;
    const std::string id = plan->execution_id;
    self->request(env->writer, admission_timeout, std::move(cmd))
        .then([this, id](create_reply& reply) { on_admitted(id, reply); },
              [this, id](caf::error& err) {
                create_reply reply;
                reply.error = failure{"not_ready", "the store did not answer: " + to_string(err)};
                on_admitted(id, reply);
              });
    return promise;
  }

  static submit_reply refuse(std::string code, std::string message) {
    submit_reply reply;
    reply.error = failure{std::move(code), std::move(message)};
    return reply;
  }

  caf::result<submit_reply> attach(entry& e, submit_execution& msg) {
    if (e.plan->request_hash != msg.plan->request_hash) {
      return refuse("conflict", "executionId '" + e.plan->execution_id +
                                    "' was already used with a different body");
    }
    if (msg.observer) {
      if (e.state == phase::running) {
        self->send(e.supervisor, subscribe_events{e.plan->execution_id, msg.observer});
      } else {
        e.observers.push_back(msg.observer);
      }
    }
    if (e.state == phase::admitting || msg.wait_for_end) {
      auto promise = self->make_response_promise<submit_reply>();
      if (e.state == phase::admitting) {
        e.admission_waiters.push_back({promise, msg.wait_for_end, true});
      } else {
        e.end_waiters.push_back({promise, true, true});
      }
      return promise;
    }
    submit_reply reply;
    reply.execution_id = e.plan->execution_id;
    reply.status = status_of(e);
    reply.attached = true;
    return reply;
  }

  [[nodiscard]] static bool is_terminal(const std::string& status) {
    return status == "completed" || status == "failed" || status == "cancelled";
  }

  [[nodiscard]] static std::string status_of(const entry& e) {
    switch (e.state) {
      case phase::admitting:
      case phase::queued:
        return "queued";
      case phase::running:
        return e.cancel_after_admission ? "cancelling" : "running";
    }
    return "queued";
  }

  void on_admitted(const std::string& id, create_reply& reply) {
    auto it = live.find(id);
    if (it == live.end()) return;
    --admitting;
    auto waiters = std::move(it->second.admission_waiters);
    it->second.admission_waiters.clear();
    if (reply.error) {
      log::error("admission failed: store error",
                 {{"executionId", id}, {"error", reply.error->message}});
      drop(it);
      for (auto& w : waiters)
        w.promise.deliver(refuse("not_ready", "the store is unavailable: " + reply.error->message));
      return;
    }
    if (!reply.created) {
      // The id was used before this process saw it: answer from what is stored.
      const auto hash = it->second.plan->request_hash;
      for (const auto& observer : it->second.observers) caf::anon_send(observer, not_live{id});
      drop(it);
      const bool unfinished = !is_terminal(reply.existing.status);
      for (auto& w : waiters) {
        if (reply.existing.request_hash != hash) {
          w.promise.deliver(refuse(
              "conflict", "executionId '" + id + "' was already used with a different body"));
          continue;
        }
        if (unfinished && w.wait_for_end) {
          // It runs on another worker (or waits to be taken over): answer when it ends there.
          w.joined = true;
          remote_submits[id].push_back(w);
          schedule_remote_poll();
          continue;
        }
        submit_reply r;
        r.execution_id = id;
        r.status = reply.existing.status;
        r.attached = true;
        r.ended_in_store = true;
        w.promise.deliver(std::move(r));
      }
      return;
    }
    auto& e = it->second;
    for (const auto& observer : e.observers)
      caf::anon_send(observer, execution_event{e.first_event});
    if (e.pooled) {
      pool(it, std::move(waiters));
      return;
    }
    e.state = phase::queued;
    enqueue(e);
    std::vector<pending_submit> answer_now;
    for (auto& w : waiters) {
      if (w.wait_for_end) {
        e.end_waiters.push_back(w);
      } else {
        answer_now.push_back(w);
      }
    }
    if (e.cancel_after_admission) {
      // Cancelled while its row was being created: it never starts.
      for (auto& w : answer_now) w.promise.deliver(accepted_reply(id, "cancelled", w.joined));
      cancel_queued(id, e.cancel_reason, std::nullopt);
      return;
    }
    // Start first, so that an async caller learns "running" when a slot was free.
    start_next();
    const auto status = status_of(live.at(id));
    for (auto& w : answer_now) w.promise.deliver(accepted_reply(id, status, w.joined));
  }

  // The execution waits in the shared queue, not here: its callers wait like callers of an
  // execution that runs on another worker, and every worker is told there is work.
  void pool(std::unordered_map<std::string, entry>::iterator it,
            std::vector<pending_submit> waiters) {
    const std::string id = it->first;
    auto e = std::move(it->second);
    live.erase(it);
    for (const auto& observer : e.observers) caf::anon_send(observer, not_live{id});
    const std::string status = e.cancel_after_admission ? "cancelling" : "queued";
    for (auto& w : waiters) {
      if (w.wait_for_end) {
        remote_submits[id].push_back(w);
      } else {
        w.promise.deliver(accepted_reply(id, status, w.joined));
      }
    }
    // A cancel that came while the row was being created is answered like a remote one.
    for (auto& p : e.cancel_waiters) remote_cancels[id].push_back(p);
    if (remote_submits.count(id) > 0 || remote_cancels.count(id) > 0) schedule_remote_poll();
    self->send(env->writer, notify_cmd{"lekhika_work", id});
    if (e.cancel_after_admission) {
      self->request(env->writer, std::chrono::seconds{30},
                    remote_cancel_cmd{id, std::nullopt, e.cancel_reason})
          .then([](remote_cancel_reply&) {}, [](caf::error&) {});
    }
    maybe_claim();
  }

  static submit_reply accepted_reply(const std::string& id, const std::string& status,
                                     bool joined) {
    submit_reply r;
    r.execution_id = id;
    r.status = status;
    r.attached = joined;
    return r;
  }

  void drop(std::unordered_map<std::string, entry>::iterator it) { live.erase(it); }

  // ---- queue and fairness ----------------------------------------------------------------------

  void enqueue(entry& e) {
    auto& t = tenants[e.plan->user_id];
    e.queue_seq = ++t.enqueued_total;
    t.queue.emplace_back(e.queue_seq, e.plan->execution_id);
    ++t.queued;
    ++queued;
    make_eligible(e.plan->user_id, t);
  }

  void make_eligible(const std::string& user, tenant& t) {
    if (!t.in_ring && t.queued > 0 && t.running < env->settings.tenant_max_running) {
      t.in_ring = true;
      ring.push_back(user);
    }
  }

  // Round robin over tenants that have queued work and room under TENANT_MAX_RUNNING: O(1)
  // per start, however many tenants wait.
  void start_next() {
    while (!draining && running < env->settings.max_running_executions && !ring.empty()) {
      const std::string user = ring.front();
      ring.pop_front();
      auto& t = tenants[user];
      t.in_ring = false;
      std::string id;
      while (!t.queue.empty()) {
        auto [seq, candidate] = std::move(t.queue.front());
        t.queue.pop_front();
        ++t.popped;
        auto it = live.find(candidate);
        if (it != live.end() && it->second.state == phase::queued) {
          id = std::move(candidate);
          break;
        }
        t.cancelled.erase(seq);
      }
      if (id.empty()) {
        if (t.running == 0 && t.queued == 0) tenants.erase(user);
        continue;
      }
      --t.queued;
      --queued;
      ++t.running;
      ++running;
      make_eligible(user, t);
      launch(live[id]);
    }
  }

  void launch(entry& e) {
    e.state = phase::running;
    e.supervisor = spawn_supervisor(self->system(), e.plan, env, self, e.epoch, e.resume);
    self->monitor(e.supervisor);
    by_supervisor.emplace(e.supervisor.address(), e.plan->execution_id);
    for (auto& observer : e.observers)
      self->send(e.supervisor, subscribe_events{e.plan->execution_id, observer});
    e.observers.clear();
    self->send(e.supervisor, start_atom::value);
  }

  void release_slot(const std::string& user) {
    auto& t = tenants[user];
    --t.running;
    --running;
    make_eligible(user, t);
    if (t.running == 0 && t.queued == 0 && !t.in_ring) tenants.erase(user);
  }

  // ---- endings --------------------------------------------------------------------------------

  void on_ended(execution_ended& msg) {
    auto it = live.find(msg.execution_id);
    if (it == live.end()) return;
    auto e = std::move(it->second);
    live.erase(it);
    by_supervisor.erase(e.supervisor.address());
    ++ended_by_status[msg.final->record.status];
    release_slot(e.plan->user_id);
    answer_end(e, msg.final);
    // Other workers may have callers waiting for this execution.
    if (env->shared_store) self->send(env->writer, notify_cmd{"lekhika_ended", msg.execution_id});
    start_next();
    check_drained();
    maybe_claim();
  }

  void answer_end(entry& e, const final_result_ptr& final) {
    for (auto& w : e.end_waiters) {
      submit_reply r;
      r.execution_id = e.plan->execution_id;
      r.status = final->record.status;
      r.attached = w.joined;
      r.final = final;
      w.promise.deliver(std::move(r));
    }
    for (auto& w : e.cancel_waiters) w.deliver(cancel_reply{true, final->record.status, final});
  }

  void on_supervisor_down(const caf::down_msg& down) {
    auto sit = by_supervisor.find(down.source);
    if (sit == by_supervisor.end()) return;
    const auto id = sit->second;
    by_supervisor.erase(sit);
    auto it = live.find(id);
    if (it == live.end()) return;  // ended normally
    // The supervisor died without reporting: record the failure so that nobody waits forever.
    auto e = std::move(it->second);
    live.erase(it);
    log::error("execution supervisor stopped unexpectedly",
               {{"executionId", id}, {"reason", to_string(down.reason)}});
    auto final = std::make_shared<final_result>();
    final->record.id = id;
    final->record.user_id = e.plan->user_id;
    final->record.engine_id = e.plan->engine_id;
    final->record.status = "failed";
    final->record.created_at = e.plan->created_at_ms;
    final->record.finished_at = now_ms();
    final->record.error = {{"code", "internal_error"},
                           {"message", "the execution's supervisor stopped unexpectedly"}};
    persistence::execution_update update;
    update.id = id;
    update.status = "failed";
    update.finished_at = final->record.finished_at;
    update.error = final->record.error;
    self->send(env->writer, persist{{std::move(update)}, persistence::fence{id, e.epoch}});
    ++ended_by_status["failed"];
    release_slot(e.plan->user_id);
    answer_end(e, final);
    start_next();
    check_drained();
  }

  // ---- cancellation ----------------------------------------------------------------------------

  caf::result<cancel_reply> cancel(cancel_request& req) {
    auto it = live.find(req.execution_id);
    if (it != live.end() && req.user_id && *req.user_id != it->second.plan->user_id) {
      return cancel_reply{false, {}, nullptr};
    }
    if (it == live.end()) return cancel_elsewhere(req);
    auto& e = it->second;
    switch (e.state) {
      case phase::admitting:
        e.cancel_after_admission = true;
        e.cancel_reason = req.reason;
        if (req.wait_for_end) {
          auto promise = self->make_response_promise<cancel_reply>();
          e.cancel_waiters.push_back(promise);
          return promise;
        }
        return cancel_reply{true, "cancelling", nullptr};
      case phase::queued: {
        auto promise = self->make_response_promise<cancel_reply>();
        cancel_queued(req.execution_id, req.reason, promise);
        return promise;
      }
      case phase::running:
        self->send(e.supervisor, cancel_atom::value, req.reason);
        if (req.wait_for_end) {
          auto promise = self->make_response_promise<cancel_reply>();
          e.cancel_waiters.push_back(promise);
          return promise;
        }
        return cancel_reply{true, "cancelling", nullptr};
    }
    return cancel_reply{false, {}, nullptr};
  }

  // A queued execution is cancelled on the spot: it never ran, so there is nothing to stop. The
  // callers are answered once the store has the final state.
  void cancel_queued(const std::string& id, const std::string& reason,
                     std::optional<caf::typed_response_promise<cancel_reply>> promise) {
    auto it = live.find(id);
    auto e = std::move(it->second);
    live.erase(it);
    auto& t = tenants[e.plan->user_id];
    --t.queued;
    t.cancelled.insert(e.queue_seq);
    --queued;
    if (t.running == 0 && t.queued == 0 && !t.in_ring) tenants.erase(e.plan->user_id);

    auto final = std::make_shared<final_result>();
    auto& r = final->record;
    r.id = id;
    r.user_id = e.plan->user_id;
    r.engine_id = e.plan->engine_id;
    r.status = "cancelled";
    r.created_at = e.plan->created_at_ms;
    r.finished_at = now_ms();
    r.usage = usage_totals{}.to_json();
    r.result = {{"nodes", nlohmann::json::object()}, {"book", nullptr}};
    // A taken-over execution may have a longer stored log than its first event.
    r.last_seq = (e.resume ? e.resume->last_seq : 1) + 1;
    persistence::execution_update update;
    update.id = id;
    update.status = r.status;
    update.finished_at = r.finished_at;
    update.usage = r.usage;
    update.result = r.result;
    persistence::event_record event{id,
                                    r.last_seq,
                                    "execution.cancelled",
                                    {{"executionId", id},
                                     {"status", "cancelled"},
                                     {"reason", reason},
                                     {"progress", 0},
                                     {"usage", r.usage}},
                                    r.finished_at};
    self->send(env->writer, persist{{std::move(update), event}, persistence::fence{id, e.epoch}});
    for (auto& observer : e.observers) caf::anon_send(observer, execution_event{event});
    ++ended_by_status["cancelled"];
    check_drained();
    auto waiting = std::make_shared<entry>(std::move(e));
    auto answer = [this, waiting, final, promise]() mutable {
      if (promise) promise->deliver(cancel_reply{true, "cancelled", final});
      answer_end(*waiting, final);
    };
    self->request(env->writer, std::chrono::seconds{30}, flush_atom::value)
        .then([answer](flush_reply&) mutable { answer(); },
              [answer](caf::error&) mutable { answer(); });
  }

  // ---- other workers ---------------------------------------------------------------------------

  // Not running here: if it is unfinished in the store (another worker runs it, or it waits to
  // be taken over) the cancel is recorded there and the owner is notified.
  caf::result<cancel_reply> cancel_elsewhere(const cancel_request& req) {
    auto promise = self->make_response_promise<cancel_reply>();
    const auto id = req.execution_id;
    const bool wait = req.wait_for_end;
    self->request(env->writer, std::chrono::seconds{30},
                  remote_cancel_cmd{req.execution_id, req.user_id, req.reason})
        .then(
            [this, promise, id, wait](remote_cancel_reply& reply) mutable {
              if (reply.error || !reply.marked) {
                promise.deliver(cancel_reply{false, {}, nullptr});  // ended, or unknown
                return;
              }
              if (wait) {
                remote_cancels[id].push_back(promise);
                schedule_remote_poll();
                return;
              }
              promise.deliver(cancel_reply{false, "cancelling", nullptr, true});
            },
            [promise](caf::error&) mutable {
              promise.deliver(cancel_reply{false, {}, nullptr});
            });
    return promise;
  }

  void on_notice(const remote_notice& notice) {
    const auto& id = notice.note.payload;
    if (notice.note.channel == "lekhika_cancel") {
      if (auto it = live.find(id); it != live.end()) {
        cancel_request req{id, std::nullopt, "cancelled by an operator on another worker", false};
        (void)cancel(req);
      } else {
        // Perhaps waiting in the shared queue: claimed (cancelled ones first), it ends at once.
        maybe_claim(false, true);
      }
    } else if (notice.note.channel == "lekhika_work") {
      maybe_claim();
    } else if (notice.note.channel == "lekhika_ended") {
      if (remote_submits.count(id) > 0 || remote_cancels.count(id) > 0) check_remote(id);
    }
  }

  // Waiters of remote executions are answered on the "ended" notification; a slow poll covers a
  // missed notification and stores without notifications.
  void schedule_remote_poll() {
    if (remote_poll_scheduled) return;
    remote_poll_scheduled = true;
    self->delayed_send(self, std::chrono::seconds{2}, tick_atom::value);
  }

  void poll_remote() {
    remote_poll_scheduled = false;
    std::vector<std::string> ids;
    for (const auto& [id, w] : remote_submits) ids.push_back(id);
    for (const auto& [id, w] : remote_cancels) ids.push_back(id);
    for (const auto& id : ids) check_remote(id);
    if (!remote_submits.empty() || !remote_cancels.empty()) schedule_remote_poll();
  }

  void check_remote(const std::string& id) {
    self->request(env->reader, std::chrono::seconds{30}, execution_query{id, std::nullopt, false})
        .then(
            [this, id](execution_view& view) {
              if (!view.snapshot.found || !is_terminal(view.snapshot.record.status)) return;
              const auto status = view.snapshot.record.status;
              if (auto it = remote_submits.find(id); it != remote_submits.end()) {
                for (auto& w : it->second) {
                  submit_reply r;
                  r.execution_id = id;
                  r.status = status;
                  r.attached = w.joined;
                  r.ended_in_store = true;
                  w.promise.deliver(std::move(r));
                }
                remote_submits.erase(it);
              }
              if (auto it = remote_cancels.find(id); it != remote_cancels.end()) {
                for (auto& p : it->second) p.deliver(cancel_reply{false, status, nullptr, true});
                remote_cancels.erase(it);
              }
            },
            [](caf::error&) {});
  }

  // The store refused writes made under these leases: another worker took the executions over
  // (this one was presumed dead). Stop them here without a word to the store; their callers
  // are answered when they end on the other worker.
  void on_lease_lost(const lease_lost& lost) {
    for (const auto& id : lost.execution_ids) {
      auto it = live.find(id);
      if (it == live.end()) continue;
      auto e = std::move(it->second);
      live.erase(it);
      log::warn("execution taken over by another worker; stopped here", {{"executionId", id}});
      if (e.state == phase::running) {
        by_supervisor.erase(e.supervisor.address());
        self->send_exit(e.supervisor, caf::exit_reason::user_shutdown);
        release_slot(e.plan->user_id);
      } else if (e.state == phase::queued) {
        auto& t = tenants[e.plan->user_id];
        --t.queued;
        t.cancelled.insert(e.queue_seq);
        --queued;
      }
      for (auto& w : e.end_waiters) remote_submits[id].push_back(w);
      for (auto& p : e.cancel_waiters) remote_cancels[id].push_back(p);
      for (const auto& observer : e.observers) caf::anon_send(observer, not_live{id});
    }
    if (!remote_submits.empty() || !remote_cancels.empty()) schedule_remote_poll();
    start_next();
  }

  // ---- taking over executions of workers that stopped -----------------------------------------

  // Claims as many unfinished executions as there are free slots. At start, also those this
  // worker held before a restart (same worker id), without waiting for their leases to expire.
  void maybe_claim(bool reclaim_own = false, bool for_cancel = false) {
    if (!env->settings.recover || draining) return;
    if (claiming) {
      // News of work while a claim is out: look again once it is back.
      claim_again = true;
      claim_again_for_cancel = claim_again_for_cancel || for_cancel;
      return;
    }
    const int busy = running + queued + admitting + resuming;
    const int free = env->settings.max_running_executions - busy;
    if (free <= 0 && !reclaim_own && !for_cancel) return;
    claiming = true;
    self->request(env->writer, std::chrono::seconds{60}, claim_cmd{std::max(free, 1), reclaim_own})
        .then(
            [this](claim_reply& reply) {
              claiming = false;
              if (reply.error) {
                log::warn("cannot claim executions", {{"error", reply.error->message}});
                return;
              }
              for (auto& record : reply.claimed) take_over(std::move(record));
              if (std::exchange(claim_again, false)) {
                maybe_claim(false, std::exchange(claim_again_for_cancel, false));
              }
            },
            [this](caf::error&) { claiming = false; });
  }

  void take_over(persistence::execution_record record) {
    const auto id = record.id;
    if (live.count(id) > 0) return;  // already here (cannot happen: we held no lease on it)
    if (record.cancel_requested && record.status == "queued") {
      end_cancelled_takeover(record);
      return;
    }
    auto body = nlohmann::json::parse(record.request_json, nullptr, false);
    auto admitted = body.is_discarded()
                        ? std::variant<execution_plan_ptr, admission_error>{admission_error{
                              "resume_failed", "the stored request is not JSON", {}}}
                        : make_plan(body, *env->catalog, {}, id, record.created_at);
    if (auto* refused = std::get_if<admission_error>(&admitted)) {
      std::string why = refused->message;
      for (const auto& p : refused->details) why += "; " + p.path + ": " + p.message;
      fail_takeover(record, "cannot resume: " + why);
      return;
    }
    auto plan = std::get<execution_plan_ptr>(std::move(admitted));
    log::info(
        "taking over an execution",
        {{"executionId", id}, {"epoch", record.lease_epoch}, {"previousStatus", record.status}});
    ++resuming;
    self->request(env->reader, std::chrono::seconds{60}, resume_query{id})
        .then(
            [this, plan, record](resume_data& data) mutable {
              --resuming;
              if (data.error) {
                // The store went away: the lease expires and this (or another) worker tries again.
                log::warn("cannot read checkpoints; will retry",
                          {{"executionId", record.id}, {"error", data.error->message}});
                return;
              }
              auto state = std::make_shared<resume_state>(
                  build_resume_state(*plan, record, data.runs, data.outputs, data.chapters));
              auto& e = live[record.id];
              e.plan = plan;
              e.epoch = record.lease_epoch;
              e.resume = std::move(state);
              e.state = phase::queued;
              enqueue(e);
              start_next();
            },
            [this](caf::error&) { --resuming; });
  }

  // A claimed execution that was cancelled before it ever started: it ends as cancelled
  // without running, under the claimed lease, and its waiters anywhere are told.
  void end_cancelled_takeover(const persistence::execution_record& record) {
    const auto finished = now_ms();
    const nlohmann::json usage = usage_totals{}.to_json();
    persistence::execution_update update;
    update.id = record.id;
    update.status = "cancelled";
    update.finished_at = finished;
    update.usage = usage;
    update.result = {{"nodes", nlohmann::json::object()}, {"book", nullptr}};
    persistence::event_record event{
        record.id,
        record.last_seq + 1,
        "execution.cancelled",
        {{"executionId", record.id},
         {"status", "cancelled"},
         {"reason", record.cancel_reason.empty() ? std::string{"cancelled"} : record.cancel_reason},
         {"progress", 0},
         {"usage", usage}},
        finished};
    self->send(env->writer, persist{{std::move(update), std::move(event)},
                                    persistence::fence{record.id, record.lease_epoch}});
    // Announced once committed, so that waiters on other workers read the end.
    const auto id = record.id;
    auto announce = [this, id] { self->send(env->writer, notify_cmd{"lekhika_ended", id}); };
    self->request(env->writer, std::chrono::seconds{30}, flush_atom::value)
        .then([announce](flush_reply&) { announce(); }, [announce](caf::error&) { announce(); });
    ++ended_by_status["cancelled"];
    if (remote_submits.count(record.id) > 0 || remote_cancels.count(record.id) > 0) {
      schedule_remote_poll();
    }
  }

  // A claimed execution that cannot run any more (its stored request no longer validates,
  // e.g. a provider key was removed): it fails with the reason, under the claimed lease.
  void fail_takeover(const persistence::execution_record& record, const std::string& why) {
    log::error("cannot resume an execution", {{"executionId", record.id}, {"error", why}});
    const auto finished = now_ms();
    nlohmann::json error{{"code", "resume_failed"}, {"message", why}};
    persistence::execution_update update;
    update.id = record.id;
    update.status = "failed";
    update.finished_at = finished;
    update.error = error;
    persistence::event_record event{record.id,
                                    record.last_seq + 1,
                                    "execution.failed",
                                    {{"executionId", record.id},
                                     {"status", "failed"},
                                     {"error", error},
                                     {"progress", record.progress}},
                                    finished};
    self->send(env->writer, persist{{std::move(update), std::move(event)},
                                    persistence::fence{record.id, record.lease_epoch}});
    ++ended_by_status["failed"];
  }

  // ---- reads ----------------------------------------------------------------------------------

  caf::result<execution_snapshot> query(const live_query& q) {
    auto it = live.find(q.execution_id);
    if (it == live.end() || (q.user_id && *q.user_id != it->second.plan->user_id))
      return execution_snapshot{};
    auto& e = it->second;
    if (e.state == phase::running) {
      auto promise = self->make_response_promise<execution_snapshot>();
      self->request(e.supervisor, std::chrono::seconds{10}, snapshot_atom::value)
          .then([promise](execution_snapshot& snap) mutable { promise.deliver(std::move(snap)); },
                [promise](caf::error&) mutable {
                  // Ended meanwhile: the caller reads the store instead.
                  promise.deliver(execution_snapshot{});
                });
      return promise;
    }
    execution_snapshot snap;
    snap.found = true;
    snap.record.id = e.plan->execution_id;
    snap.record.user_id = e.plan->user_id;
    snap.record.engine_id = e.plan->engine_id;
    snap.record.status = "queued";
    snap.record.created_at = e.plan->created_at_ms;
    snap.record.last_seq = 1;
    for (const auto& n : e.plan->request.flow.nodes) {
      persistence::node_run_record run;
      run.execution_id = e.plan->execution_id;
      run.node_id = n.id;
      run.status = "pending";
      snap.nodes.push_back(std::move(run));
    }
    if (e.state == phase::queued) {
      const auto& t = tenants[e.plan->user_id];
      const auto ahead = static_cast<std::int64_t>(e.queue_seq - t.popped) - 1;
      const auto ahead_cancelled =
          std::distance(t.cancelled.begin(), t.cancelled.lower_bound(e.queue_seq));
      snap.queue_position = static_cast<int>(ahead - ahead_cancelled + 1);
    }
    return snap;
  }

  void subscribe(subscribe_events& s) {
    auto it = live.find(s.execution_id);
    if (it == live.end()) {
      caf::anon_send(s.observer, not_live{s.execution_id});
      return;
    }
    if (it->second.state == phase::running) {
      self->send(it->second.supervisor, std::move(s));
    } else {
      it->second.observers.push_back(std::move(s.observer));
    }
  }

  [[nodiscard]] registry_stats stats() const {
    registry_stats s;
    s.running = running;
    s.queued = queued;
    s.admitting = admitting;
    s.draining = draining;
    s.ended_by_status = ended_by_status;
    std::vector<std::pair<int, std::string>> busiest;
    for (const auto& [user, t] : tenants) {
      if (t.running > 0) busiest.emplace_back(t.running, user);
    }
    const auto top = std::min(busiest.size(), stats_top_tenants);
    std::partial_sort(busiest.begin(), busiest.begin() + static_cast<std::ptrdiff_t>(top),
                      busiest.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t i = 0; i < top; ++i) s.running_by_tenant[busiest[i].second] = busiest[i].first;
    return s;
  }

  // Draining: no new admissions and no new starts; the answer comes once nothing runs.
  caf::result<registry_stats> drain() {
    draining = true;
    if (running == 0) return stats();
    auto promise = self->make_response_promise<registry_stats>();
    drain_waiters.push_back(promise);
    return promise;
  }

  void check_drained() {
    if (!draining || running > 0 || drain_waiters.empty()) return;
    for (auto& w : drain_waiters) w.deliver(stats());
    drain_waiters.clear();
  }
};

registry_actor::behavior_type registry_behavior(
    registry_actor::stateful_pointer<registry_state> self, execution_env_ptr env) {
  self->state.self = self;
  self->state.env = std::move(env);
  self->set_down_handler([self](caf::down_msg& down) { self->state.on_supervisor_down(down); });
  if (self->state.env->settings.recover) {
    // At start: take back what this worker held before a restart, and what stopped workers left.
    self->state.maybe_claim(true);
    self->delayed_send(self, self->state.env->settings.claim_interval, claim_atom::value);
  }
  // Shutdown: every running execution stops with the registry (its rows stay unfinished).
  self->set_exit_handler([self](caf::exit_msg& msg) {
    // Everyone still waiting gets an error now, so that no bridge actor waits forever.
    const auto gone = caf::make_error(caf::sec::request_receiver_down);
    for (auto& [id, e] : self->state.live) {
      if (e.supervisor) self->send_exit(e.supervisor, msg.reason);
      for (auto& w : e.admission_waiters) w.promise.deliver(gone);
      for (auto& w : e.end_waiters) w.promise.deliver(gone);
      for (auto& w : e.cancel_waiters) w.deliver(gone);
    }
    for (auto& w : self->state.drain_waiters) w.deliver(gone);
    for (auto& [id, waiting] : self->state.remote_submits) {
      for (auto& w : waiting) w.promise.deliver(gone);
    }
    for (auto& [id, waiting] : self->state.remote_cancels) {
      for (auto& p : waiting) p.deliver(gone);
    }
    self->quit(msg.reason);
  });
  return {
      [self](submit_execution& msg) { return self->state.submit(msg); },
      [self](cancel_request& req) { return self->state.cancel(req); },
      [self](live_query& q) { return self->state.query(q); },
      [self](subscribe_events& s) { self->state.subscribe(s); },
      [self](stats_atom) { return self->state.stats(); },
      [self](drain_atom) { return self->state.drain(); },
      [self](execution_ended& msg) { self->state.on_ended(msg); },
      [self](lease_lost& lost) { self->state.on_lease_lost(lost); },
      [self](remote_notice& notice) { self->state.on_notice(notice); },
      [self](claim_atom) {
        self->state.maybe_claim();
        self->delayed_send(self, self->state.env->settings.claim_interval, claim_atom::value);
      },
      [self](tick_atom) { self->state.poll_remote(); },
  };
}

}  // namespace

registry_actor spawn_registry(caf::actor_system& system, execution_env_ptr env) {
  return system.spawn(registry_behavior, std::move(env));
}

}  // namespace lekhika::actors
