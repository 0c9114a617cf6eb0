#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "lekhika/actors/log.hpp"
#include "lekhika/actors/spawn.hpp"
#include "lekhika/persistence/artifact_files.hpp"

namespace lekhika::actors {
namespace {

// ---------------------------------------------------------------------------------------------
// Writer: collects writes from every execution and commits them in batches, so that the
// actors never wait for the disk and the database sees few, large transactions.

struct writer_state {
  std::shared_ptr<persistence::store> store;
  engine_settings settings;
  persistence::write_batch pending;
  std::map<std::string, std::int64_t> fences;  // lease epochs the pending writes were made under
  std::optional<registry_actor> registry;      // told when a lease was lost
  bool tick_scheduled = false;
  std::chrono::milliseconds retry_delay{0};  ///< grows while the database is unavailable
  static inline const char* name = "store_writer";
};

const char* write_kind(const persistence::write& w) {
  static constexpr std::array<const char*, std::variant_size_v<persistence::write>> names{
      "execution_update", "event",    "node_run",     "node_output",
      "chapter",          "artifact", "provider_call"};
  return names[w.index()];
}

std::string write_execution_id(const persistence::write& w) {
  return std::visit(
      [](const auto& x) -> std::string {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, persistence::execution_update>) {
          return x.id;
        } else {
          return x.execution_id;
        }
      },
      w);
}

[[nodiscard]] std::vector<persistence::fence> fences_of(const writer_state& st) {
  std::vector<persistence::fence> out;
  out.reserve(st.fences.size());
  for (const auto& [id, epoch] : st.fences) out.push_back({id, epoch});
  return out;
}

void report_lost(writer_state& st, std::vector<std::string> ids) {
  if (ids.empty()) return;
  log::warn("writes refused: another worker holds these executions now", {{"executions", ids}});
  if (st.registry) caf::anon_send(*st.registry, lease_lost{std::move(ids)});
}

// Commits the pending writes. Writes made under a lease that another worker has taken since are
// dropped by the store (fencing) and reported. When the batch fails as a whole, the writes are
// tried one by one: a write the database refuses (a bug, never expected) is logged and dropped
// so that it cannot block every later write; when the database itself is unavailable,
// everything stays pending and is retried with a growing delay.
result<void> flush(writer_state& st) {
  if (st.pending.empty()) return {};
  const auto fences = fences_of(st);
  auto applied = st.store->apply_fenced(st.pending, fences);
  if (applied) {
    st.pending.clear();
    st.fences.clear();
    st.retry_delay = std::chrono::milliseconds{0};
    report_lost(st, std::move(applied).value());
    return {};
  }
  if (applied.error().code == "store_unavailable") {
    log::error("store unavailable; writes kept for retry",
               {{"pending", st.pending.size()}, {"error", applied.error().message}});
    return applied.error();
  }
  persistence::write_batch kept;
  std::vector<std::string> lost;
  for (auto& w : st.pending) {
    auto one = st.store->apply_fenced(persistence::write_batch{w}, fences);
    if (one) {
      for (auto& id : one.value()) lost.push_back(std::move(id));
      continue;
    }
    if (one.error().code == "store_unavailable") {
      kept.push_back(std::move(w));
      continue;
    }
    log::error("store refused a write; dropped", {{"kind", write_kind(w)},
                                                  {"executionId", write_execution_id(w)},
                                                  {"error", one.error().message}});
  }
  std::sort(lost.begin(), lost.end());
  lost.erase(std::unique(lost.begin(), lost.end()), lost.end());
  report_lost(st, std::move(lost));
  st.pending = std::move(kept);
  if (!st.pending.empty())
    return failure{"store_unavailable", "database unavailable; writes kept for retry"};
  st.fences.clear();
  return {};
}

void schedule_tick(store_writer_actor::stateful_pointer<writer_state> self) {
  auto& st = self->state;
  if (st.tick_scheduled) return;
  st.tick_scheduled = true;
  const auto delay = std::max(st.settings.store_flush_interval, st.retry_delay);
  self->delayed_send(self, delay, tick_atom::value);
}

void flush_or_retry(store_writer_actor::stateful_pointer<writer_state> self) {
  auto& st = self->state;
  if (flush(st)) return;
  st.retry_delay = std::min(std::chrono::milliseconds{5000},
                            std::max(std::chrono::milliseconds{100}, st.retry_delay * 2));
  schedule_tick(self);
}

store_writer_actor::behavior_type store_writer(
    store_writer_actor::stateful_pointer<writer_state> self,
    std::shared_ptr<persistence::store> store, engine_settings settings) {
  self->state.store = std::move(store);
  self->state.settings = std::move(settings);
  // This worker's leases are renewed from here, on the writer's connection.
  self->delayed_send(self, self->state.settings.lease_renew_interval, renew_atom::value);
  return {
      [self](persist& msg) {
        auto& st = self->state;
        if (msg.fence) st.fences[msg.fence->execution_id] = msg.fence->epoch;
        for (auto& w : msg.writes) st.pending.push_back(std::move(w));
        if (st.pending.size() >= st.settings.store_batch_limit && st.retry_delay.count() == 0) {
          flush_or_retry(self);
        } else {
          schedule_tick(self);
        }
      },
      [self](tick_atom) {
        self->state.tick_scheduled = false;
        flush_or_retry(self);
      },
      [self](create_execution_cmd& cmd) -> create_reply {
        auto& st = self->state;
        create_reply reply;
        // Earlier writes first, so that the order each sender used is kept.
        if (auto flushed = flush(st); !flushed) {
          reply.error = flushed.error();
          return reply;
        }
        auto created = st.store->create_execution(cmd.record);
        if (!created) {
          reply.error = created.error();
          return reply;
        }
        reply.created = created.value().created;
        if (!reply.created) {
          reply.existing = std::move(created.value().existing);
          return reply;
        }
        st.pending.emplace_back(std::move(cmd.first_event));
        schedule_tick(self);
        return reply;
      },
      [self](claim_cmd& cmd) -> claim_reply {
        auto& st = self->state;
        claim_reply reply;
        if (auto flushed = flush(st); !flushed) {
          reply.error = flushed.error();
          return reply;
        }
        auto claimed = st.store->claim_executions(
            st.settings.worker_id, now_ms(), st.settings.lease_ttl, cmd.limit, cmd.reclaim_own);
        if (!claimed) {
          reply.error = claimed.error();
        } else {
          reply.claimed = std::move(claimed).value();
        }
        return reply;
      },
      [self](renew_atom) {
        auto& st = self->state;
        auto renewed =
            st.store->renew_leases(st.settings.worker_id, now_ms(), st.settings.lease_ttl);
        if (!renewed) {
          log::error("cannot renew this worker's leases",
                     {{"worker", st.settings.worker_id}, {"error", renewed.error().message}});
        }
        self->delayed_send(self, st.settings.lease_renew_interval, renew_atom::value);
      },
      [self](remote_cancel_cmd& cmd) -> remote_cancel_reply {
        auto& st = self->state;
        remote_cancel_reply reply;
        auto marked = st.store->request_cancel(cmd.execution_id, cmd.user_id, cmd.reason);
        if (!marked) {
          reply.error = marked.error();
          return reply;
        }
        reply.marked = marked.value();
        if (reply.marked) {
          if (auto told = st.store->notify("lekhika_cancel", cmd.execution_id); !told) {
            log::warn("cancel stored but other workers not notified",
                      {{"executionId", cmd.execution_id}, {"error", told.error().message}});
          }
        }
        return reply;
      },
      [self](notify_cmd& cmd) {
        if (auto told = self->state.store->notify(cmd.channel, cmd.payload); !told) {
          log::warn("cannot notify other workers",
                    {{"channel", cmd.channel}, {"error", told.error().message}});
        }
      },
      [self](watch_atom, registry_actor& registry) { self->state.registry = std::move(registry); },
      [self](flush_atom) -> flush_reply {
        flush_reply reply;
        if (auto flushed = flush(self->state); !flushed) reply.error = flushed.error();
        return reply;
      },
      [self](store_artifact_cmd& cmd) -> artifact_reply {
        auto& st = self->state;
        artifact_reply reply;
        auto written =
            persistence::write_artifact_file(st.settings.artifact_dir, cmd.execution_id, cmd.format,
                                             cmd.file_name, cmd.mime_type, *cmd.bytes, now_ms());
        if (!written) {
          reply.error = written.error();
          return reply;
        }
        reply.artifact = written.value();
        st.pending.emplace_back(std::move(written).value());
        schedule_tick(self);
        return reply;
      },
  };
}

// ---------------------------------------------------------------------------------------------
// Reader: answers the API's reads on its own connection, so reads never queue behind writes.

struct reader_state {
  std::shared_ptr<persistence::store> store;
  static inline const char* name = "store_reader";
};

bool is_text_format(const std::string& format) {
  return format == "md" || format == "html" || format == "txt";
}

store_reader_actor::behavior_type store_reader(
    store_reader_actor::stateful_pointer<reader_state> self,
    std::shared_ptr<persistence::store> store) {
  self->state.store = std::move(store);
  return {
      [self](execution_query& q) -> execution_view {
        auto& db = *self->state.store;
        execution_view view;
        auto found = db.get_execution(q.execution_id, q.user_id);
        if (!found) {
          view.error = found.error();
          return view;
        }
        if (!found.value()) return view;
        view.snapshot.found = true;
        view.snapshot.record = std::move(*found.value());
        auto runs = db.node_runs(q.execution_id);
        if (runs) view.snapshot.nodes = std::move(runs).value();
        if (q.with_inline_text) {
          auto artifacts = db.artifacts(q.execution_id);
          if (artifacts) {
            for (const auto& a : artifacts.value()) {
              if (!is_text_format(a.format)) continue;
              auto bytes = persistence::read_artifact_file(a);
              if (bytes) view.inline_text[a.format] = std::move(bytes).value();
            }
          }
        }
        return view;
      },
      [self](list_query& q) -> list_reply {
        list_reply reply;
        auto page = self->state.store->list_executions(q.filter);
        if (!page) {
          reply.error = page.error();
        } else {
          reply.page = std::move(page).value();
        }
        return reply;
      },
      [self](artifact_query& q) -> artifact_bytes {
        auto& db = *self->state.store;
        artifact_bytes reply;
        auto found = db.get_execution(q.execution_id, q.user_id);
        if (!found) {
          reply.error = found.error();
          return reply;
        }
        if (!found.value()) return reply;
        auto artifacts = db.artifacts(q.execution_id);
        if (!artifacts) {
          reply.error = artifacts.error();
          return reply;
        }
        for (const auto& a : artifacts.value()) {
          if (a.format != q.format) continue;
          auto bytes = persistence::read_artifact_file(a);
          if (!bytes) {
            // The path is for the operator's log, not for the client: a missing file answers
            // like a missing artifact (404), anything else as the store being unavailable.
            log::error("cannot read a stored artifact", {{"executionId", a.execution_id},
                                                         {"format", a.format},
                                                         {"error", bytes.error().message}});
            if (bytes.error().code != "not_found") {
              reply.error = failure{"store_unavailable", "cannot read the stored '" + a.format +
                                                             "' file; see the worker's log"};
            }
            return reply;
          }
          reply.artifact = a;
          reply.bytes = std::make_shared<const std::string>(std::move(bytes).value());
          return reply;
        }
        return reply;
      },
      [self](events_query& q) -> events_reply {
        auto& db = *self->state.store;
        events_reply reply;
        auto found = db.get_execution(q.execution_id, q.user_id);
        if (!found) {
          reply.error = found.error();
          return reply;
        }
        if (!found.value()) return reply;
        reply.found = true;
        reply.status = found.value()->status;
        auto events = db.events_after(q.execution_id, q.after_seq, q.limit);
        if (!events) {
          reply.error = events.error();
        } else {
          reply.events = std::move(events).value();
        }
        return reply;
      },
      [self](resume_query& q) -> resume_data {
        auto& db = *self->state.store;
        resume_data reply;
        auto runs = db.node_runs(q.execution_id);
        auto outputs = db.node_outputs(q.execution_id);
        auto chapters = db.chapters(q.execution_id);
        if (!runs || !outputs || !chapters) {
          reply.error = !runs ? runs.error() : (!outputs ? outputs.error() : chapters.error());
          return reply;
        }
        reply.runs = std::move(runs).value();
        reply.outputs = std::move(outputs).value();
        reply.chapters = std::move(chapters).value();
        return reply;
      },
      [self](ping_atom) -> bool { return self->state.store->ping(); },
  };
}

// ---------------------------------------------------------------------------------------------
// Listener: waits for other workers' notifications (a cancel, an end) on its own connection.

struct listener_state {
  std::shared_ptr<persistence::store> store;
  registry_actor registry;
  static inline const char* name = "store_listener";
};

store_listener_actor::behavior_type store_listener(
    store_listener_actor::stateful_pointer<listener_state> self,
    std::shared_ptr<persistence::store> store, registry_actor registry) {
  self->state.store = std::move(store);
  self->state.registry = std::move(registry);
  if (auto subscribed =
          self->state.store->listen({"lekhika_cancel", "lekhika_ended", "lekhika_work"});
      !subscribed) {
    log::error("cannot listen for other workers", {{"error", subscribed.error().message}});
  }
  self->send(self, listen_atom::value);
  return {
      [self](listen_atom) {
        auto& st = self->state;
        // A short wait keeps the actor responsive to its own exit.
        auto notes = st.store->wait_notifications(std::chrono::milliseconds{500});
        if (notes) {
          for (auto& note : notes.value())
            caf::anon_send(st.registry, remote_notice{std::move(note)});
        } else {
          // The database is away; the next wait reconnects. Avoid spinning meanwhile.
          self->delayed_send(self, std::chrono::seconds{1}, listen_atom::value);
          return;
        }
        self->send(self, listen_atom::value);
      },
  };
}

}  // namespace

store_writer_actor spawn_store_writer(caf::actor_system& system,
                                      std::shared_ptr<persistence::store> store,
                                      engine_settings settings) {
  return system.spawn<caf::detached>(store_writer, std::move(store), std::move(settings));
}

store_listener_actor spawn_store_listener(caf::actor_system& system,
                                          std::shared_ptr<persistence::store> store,
                                          registry_actor registry) {
  return system.spawn<caf::detached>(store_listener, std::move(store), std::move(registry));
}

store_reader_actor spawn_store_reader(caf::actor_system& system,
                                      std::shared_ptr<persistence::store> store) {
  return system.spawn<caf::detached>(store_reader, std::move(store));
}

}  // namespace lekhika::actors
