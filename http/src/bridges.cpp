#include "bridges.hpp"

#include <algorithm>

#include "lekhika/actors/env.hpp"
#include "lekhika/actors/log.hpp"

namespace lekhika::http {
namespace {

/// Reads answer quickly or not at all; a store that takes longer is reported as not ready.
constexpr std::chrono::seconds read_timeout{30};

bool is_terminal(const std::string& status) {
  return status == "completed" || status == "failed" || status == "cancelled";
}

http_answer accepted_answer(const std::string& id, const std::string& status) {
  auto answer = ok_answer({{"executionId", id},
                           {"status", status},
                           {"statusUrl", "/executions/" + id},
                           {"eventsUrl", "/executions/" + id + "/events"}},
                          202);
  answer.headers["Location"] = "/executions/" + id;
  return answer;
}

// data of a finished execution; `success` mirrors whether it completed (api.md §2.1).
http_answer finished_answer(const persistence::execution_record& record,
                            const std::map<std::string, std::string>& inline_text) {
  http_answer answer;
  answer.body = nlohmann::json{{"success", record.status == "completed"},
                               {"data", final_json(record, inline_text)}}
                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return answer;
}

http_answer store_error_answer(const failure& error) {
  if (error.code == "invalid_cursor") return error_answer("bad_request", error.message);
  return error_answer("not_ready", "the store is unavailable: " + error.message);
}

http_answer actor_error_answer(const caf::error& error) {
  return error_answer("not_ready", "the engine did not answer in time (" + to_string(error) + ")");
}

// An execution that has ended but is no longer in memory: read it back with its text content.
void answer_from_store(caf::event_based_actor* self, actors::engine& engine, const std::string& id,
                       const responder& respond) {
  self->request(engine.reader(), read_timeout, actors::execution_query{id, std::nullopt, true})
      .then(
          [respond, id](actors::execution_view& view) {
            if (view.error) return respond(store_error_answer(*view.error));
            if (!view.snapshot.found)
              return respond(error_answer("not_found", "execution '" + id + "' not found"));
            respond(finished_answer(view.snapshot.record, view.inline_text));
          },
          [respond](caf::error& err) { respond(actor_error_answer(err)); });
}

// Runs `work(self)` in a new short-lived actor. The work travels as a spawn argument: CAF 0.17
// binds a reference to a null pointer when a function-based actor is spawned without arguments
// (UBSan reports it), so no bridge is spawned that way.
template <class Work>
void spawn_bridge(actors::engine& engine, Work work) {
  engine.system().spawn([](caf::event_based_actor* self, Work w) { w(self); }, std::move(work));
}

std::optional<std::string> parse_error_of(const std::string& body, nlohmann::json& parsed) {
  try {
    parsed = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    return std::string{"the body is not valid JSON: "} + e.what();
  }
  return std::nullopt;
}

// The file name a browser saves a download under: the execution id, whose characters are
// already limited to [A-Za-z0-9_.:-], with ':' (refused in Windows and macOS file names) as '-'.
std::string download_name(std::string id) {
  std::replace(id.begin(), id.end(), ':', '-');
  return id;
}

}  // namespace

void bridge_execute(actors::engine& engine, std::shared_ptr<const std::string> body,
                    bool async_requested, responder respond) {
  spawn_bridge(engine, [&engine, body = std::move(body), async_requested,
                        respond = std::move(respond)](caf::event_based_actor* self) {
    nlohmann::json parsed;
    if (auto error = parse_error_of(*body, parsed))
      return respond(error_answer("invalid_json", *error));
    if (!parsed.is_object())
      return respond(error_answer("invalid_json", "the body must be a JSON object"));
    bool async = async_requested;
    if (auto it = parsed.find("async"); it != parsed.end() && it->is_boolean())
      async = async || it->get<bool>();

    auto admitted = actors::make_plan(parsed, engine.catalog(), {}, actors::new_execution_id(),
                                      actors::now_ms());
    if (auto* refused = std::get_if<actors::admission_error>(&admitted)) {
      return respond(error_answer(
          refused->code, refused->message,
          refused->details.empty() ? nlohmann::json{} : problems_json(refused->details)));
    }
    auto plan = std::get<actors::execution_plan_ptr>(std::move(admitted));
    const std::string id = plan->execution_id;
    // Sync requests wait as long as the execution takes: the registry always answers at its end.
    self->request(engine.registry(), caf::infinite,
                  actors::submit_execution{plan, !async, caf::actor{}})
        .then(
            [self, &engine, respond, async, id](actors::submit_reply& reply) {
              if (reply.error) {
                auto answer = error_answer(reply.error->code, reply.error->message);
                if (reply.error->code == "overloaded") answer.headers["Retry-After"] = "5";
                return respond(std::move(answer));
              }
              if (async) return respond(accepted_answer(id, reply.status));
              if (reply.final)
                return respond(finished_answer(reply.final->record, reply.final->inline_text));
              answer_from_store(self, engine, id, respond);
            },
            [respond](caf::error& err) { respond(actor_error_answer(err)); });
  });
}

void bridge_get_execution(actors::engine& engine, std::string execution_id,
                          std::optional<std::string> user_id, bool with_content,
                          responder respond) {
  spawn_bridge(engine, [&engine, id = std::move(execution_id), user_id = std::move(user_id),
                        with_content, respond = std::move(respond)](caf::event_based_actor* self) {
    self->request(engine.registry(), read_timeout, actors::live_query{id, user_id})
        .then(
            [self, &engine, id, user_id, with_content, respond](actors::execution_snapshot& live) {
              if (live.found) return respond(ok_answer(execution_json(live, {})));
              self->request(engine.reader(), read_timeout,
                            actors::execution_query{id, user_id, with_content})
                  .then(
                      [respond, id](actors::execution_view& view) {
                        if (view.error) return respond(store_error_answer(*view.error));
                        if (!view.snapshot.found) {
                          return respond(
                              error_answer("not_found", "execution '" + id + "' not found"));
                        }
                        respond(ok_answer(execution_json(view.snapshot, view.inline_text)));
                      },
                      [respond](caf::error& err) { respond(actor_error_answer(err)); });
            },
            [respond](caf::error& err) { respond(actor_error_answer(err)); });
  });
}

void bridge_list(actors::engine& engine, persistence::execution_filter filter, responder respond) {
  spawn_bridge(engine, [&engine, filter = std::move(filter),
                        respond = std::move(respond)](caf::event_based_actor* self) {
    self->request(engine.reader(), read_timeout, actors::list_query{filter})
        .then(
            [respond](actors::list_reply& reply) {
              if (reply.error) return respond(store_error_answer(*reply.error));
              nlohmann::json items = nlohmann::json::array();
              for (const auto& s : reply.page.items) items.push_back(summary_json(s));
              nlohmann::json data{{"items", std::move(items)}, {"nextCursor", nullptr}};
              if (reply.page.next_cursor) data["nextCursor"] = *reply.page.next_cursor;
              respond(ok_answer(std::move(data)));
            },
            [respond](caf::error& err) { respond(actor_error_answer(err)); });
  });
}

void bridge_cancel(actors::engine& engine, std::string execution_id,
                   std::optional<std::string> user_id, std::string reason, bool wait_for_end,
                   bool strict, responder respond) {
  spawn_bridge(engine, [&engine, id = std::move(execution_id), user_id = std::move(user_id),
                        reason = std::move(reason), wait_for_end, strict,
                        respond = std::move(respond)](caf::event_based_actor* self) {
    auto timeout = wait_for_end ? caf::infinite : caf::duration{read_timeout};
    self->request(engine.registry(), timeout,
                  actors::cancel_request{id, user_id, reason, wait_for_end})
        .then(
            [self, &engine, id, user_id, strict, respond](actors::cancel_reply& reply) {
              if (reply.live) {
                const int status = is_terminal(reply.status) ? 200 : 202;
                return respond(ok_answer({{"executionId", id}, {"status", reply.status}}, status));
              }
              // Not running here: it has ended (or never existed).
              self->request(engine.reader(), read_timeout,
                            actors::execution_query{id, user_id, false})
                  .then(
                      [respond, id, strict](actors::execution_view& view) {
                        if (view.error) return respond(store_error_answer(*view.error));
                        if (!view.snapshot.found) {
                          return respond(
                              error_answer("not_found", "execution '" + id + "' not found"));
                        }
                        const auto& status = view.snapshot.record.status;
                        if (strict && is_terminal(status)) {
                          return respond(error_answer(
                              "conflict",
                              "execution '" + id + "' has already ended (" + status + ")"));
                        }
                        respond(ok_answer({{"executionId", id}, {"status", status}}));
                      },
                      [respond](caf::error& err) { respond(actor_error_answer(err)); });
            },
            [respond](caf::error& err) { respond(actor_error_answer(err)); });
  });
}

void bridge_artifact(actors::engine& engine, std::string execution_id,
                     std::optional<std::string> user_id, std::string format, responder respond) {
  spawn_bridge(engine, [&engine, id = std::move(execution_id), user_id = std::move(user_id),
                        format = std::move(format),
                        respond = std::move(respond)](caf::event_based_actor* self) {
    self->request(engine.reader(), read_timeout, actors::artifact_query{id, user_id, format})
        .then(
            [respond, id, format](actors::artifact_bytes& reply) {
              if (reply.error) return respond(store_error_answer(*reply.error));
              if (!reply.bytes) {
                return respond(error_answer("not_found",
                                            "no '" + format + "' file for execution '" + id + "'"));
              }
              http_answer answer;
              answer.status = 200;
              answer.content_type = reply.artifact.mime_type;
              answer.body = *reply.bytes;
              answer.headers["Content-Disposition"] =
                  "attachment; filename=\"" + download_name(id) + "." + format + "\"";
              respond(std::move(answer));
            },
            [respond](caf::error& err) { respond(actor_error_answer(err)); });
  });
}

void bridge_ready(actors::engine& engine, responder respond) {
  spawn_bridge(engine, [&engine, respond = std::move(respond)](caf::event_based_actor* self) {
    self->request(engine.reader(), std::chrono::seconds{5}, actors::ping_atom::value)
        .then(
            [self, &engine, respond](bool store_ok) {
              if (!store_ok) return respond(error_answer("not_ready", "the store does not answer"));
              self->request(engine.registry(), std::chrono::seconds{5}, actors::stats_atom::value)
                  .then(
                      [respond](actors::registry_stats& stats) {
                        if (stats.draining)
                          return respond(error_answer("not_ready", "the worker is shutting down"));
                        respond(ok_answer({{"ready", true},
                                           {"store", "ok"},
                                           {"running", stats.running},
                                           {"queued", stats.queued}}));
                      },
                      [respond](caf::error& err) { respond(actor_error_answer(err)); });
            },
            [respond](caf::error& err) { respond(actor_error_answer(err)); });
  });
}

}  // namespace lekhika::http
