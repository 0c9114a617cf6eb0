#pragma once

// Bridge actors: one short-lived actor per request carries it to the registry or the store
// reader and answers through `responder`. The actors stay unaware of HTTP; RESTinio stays
// unaware of actors.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "lekhika/actors/engine.hpp"
#include "views.hpp"

namespace lekhika::http {

/// Sends the answer of one request; called exactly once, from any thread.
using responder = std::function<void(http_answer)>;

/// POST /execute: parse, validate, admit; answer at once (async) or at the end (sync).
void bridge_execute(actors::engine& engine, std::shared_ptr<const std::string> body,
                    bool async_requested, responder respond);
/// GET /executions/{id} (and /status/{id}).
void bridge_get_execution(actors::engine& engine, std::string execution_id,
                          std::optional<std::string> user_id, bool with_content, responder respond);
/// GET /executions.
void bridge_list(actors::engine& engine, persistence::execution_filter filter, responder respond);
/// POST /executions/{id}/cancel (and /stop/{id}).
void bridge_cancel(actors::engine& engine, std::string execution_id,
                   std::optional<std::string> user_id, std::string reason, bool wait_for_end,
                   bool strict, responder respond);
/// GET /executions/{id}/artifacts/{fmt}.
void bridge_artifact(actors::engine& engine, std::string execution_id,
                     std::optional<std::string> user_id, std::string format, responder respond);
/// GET /ready.
void bridge_ready(actors::engine& engine, responder respond);

}  // namespace lekhika::http
