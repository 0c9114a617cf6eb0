#include <algorithm>
#include <deque>
#include <random>
#include <unordered_map>

#include "lekhika/actors/log.hpp"
#include "lekhika/actors/spawn.hpp"
#include "lekhika/providers/pricing.hpp"
#include "lekhika/providers/transport.hpp"
#include "lekhika/providers/wire.hpp"

namespace lekhika::actors {
namespace {

using steady = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

/// How often in-flight calls are checked for a missing first token or a stalled stream.
constexpr milliseconds sweep_interval{250};
/// How much of an error answer is kept to read the provider's message from.
constexpr std::size_t max_error_body = std::size_t{64} * 1024;
/// Largest non-streamed answer accepted.
constexpr std::size_t max_whole_body = std::size_t{16} * 1024 * 1024;

// One call of a node, across its attempts on this key's model.
struct call_state {
  complete_prompt msg;
  caf::typed_response_promise<prompt_result> promise;
  node_actor requester;
  int attempt = 0;  // attempts started so far
  usage_totals spent;
  bool waiting = false;    // in a tenant queue (for a slot, or after a backoff)
  bool in_flight = false;  // an attempt is on the wire
  std::uint64_t transfer = 0;
  // The attempt on the wire.
  long status = 0;
  bool streaming = false;
  std::vector<std::pair<std::string, std::string>> headers;
  std::unique_ptr<providers::stream_decoder> decoder;
  std::string body;  // error answers and non-streamed answers
  steady::time_point started;
  steady::time_point first_token;  // epoch when none yet
  steady::time_point last_data;
};

struct network_state {
  static inline const char* name = "network_provider";

  network_provider_actor::stateful_pointer<network_state> self = nullptr;
  providers::provider_config config;
  call_policy policy;
  std::shared_ptr<providers::curl_multi_transport> transport;
  std::shared_ptr<const providers::pricing_table> pricing;
  store_writer_actor writer;
  int max_concurrent = 0;

  std::unordered_map<std::uint64_t, call_state> calls;
  // Calls waiting for a slot, per tenant, served round robin so that one tenant's thousand
  // calls do not starve another's one. Aborted calls are skipped lazily.
  std::unordered_map<std::string, std::deque<std::uint64_t>> waiting;
  std::deque<std::string> ring;
  int in_flight = 0;

  steady::time_point paused_until{};  // a 429 pauses the key for everyone
  // Rate budgets: token buckets that hold at most one second's worth, so that `rpm` and `tpm`
  // are kept over every second, not only over a minute (providers enforce them over short
  // windows). A call bigger than a second's tokens may start when the bucket is full and leaves
  // it in debt, which later calls wait out.
  double request_budget = 0.0;
  double token_budget = 0.0;
  steady::time_point refilled_at = steady::now();
  bool pump_scheduled = false;
  bool sweep_scheduled = false;
  std::mt19937_64 rng{std::random_device{}()};

  ~network_state() {
    // Nothing of ours may stay on the wire once the actor is gone.
    if (!transport) return;
    for (const auto& [id, c] : calls) {
      if (c.in_flight) transport->cancel(c.transfer);
    }
  }

  [[nodiscard]] network_provider_actor handle() const {
    return caf::actor_cast<network_provider_actor>(self);
  }

  // ---- admission and fairness ----------------------------------------------------------------

  void enqueue(std::uint64_t id, bool front) {
    auto& c = calls.at(id);
    c.waiting = true;
    auto& queue = waiting[c.msg.tenant];
    if (queue.empty()) ring.push_back(c.msg.tenant);
    if (front) {
      queue.push_front(id);
    } else {
      queue.push_back(id);
    }
  }

  [[nodiscard]] double request_capacity() const { return std::max(1.0, config.rpm / 60.0); }
  [[nodiscard]] double token_capacity() const { return std::max(1.0, config.tpm / 60.0); }

  void refill() {
    const auto now = steady::now();
    const double elapsed_ms =
        static_cast<double>(duration_cast<milliseconds>(now - refilled_at).count());
    refilled_at = now;
    if (config.rpm > 0) {
      request_budget =
          std::min(request_capacity(), request_budget + elapsed_ms * config.rpm / 60000.0);
    }
    if (config.tpm > 0) {
      token_budget = std::min(token_capacity(), token_budget + elapsed_ms * config.tpm / 60000.0);
    }
  }

  void schedule_pump(milliseconds delay) {
    if (pump_scheduled) return;
    pump_scheduled = true;
    self->delayed_send(self, std::max(delay, milliseconds{1}), pump_atom::value);
  }

  [[nodiscard]] static std::int64_t reserved_tokens(const call_state& c) {
    return providers::estimate_tokens(c.msg.request.system.size() + c.msg.request.user.size()) +
           c.msg.request.max_tokens;
  }

  // Starts waiting calls while slots, the pause and the rate budgets allow.
  void pump() {
    refill();
    while (in_flight < max_concurrent && !ring.empty()) {
      const auto now = steady::now();
      if (now < paused_until) {
        schedule_pump(duration_cast<milliseconds>(paused_until - now));
        return;
      }
      if (config.rpm > 0 && request_budget < 1.0) {
        schedule_pump(
            milliseconds{static_cast<long>((1.0 - request_budget) * 60000.0 / config.rpm) + 1});
        return;
      }
      const std::string tenant = ring.front();
      ring.pop_front();
      auto& queue = waiting[tenant];
      const auto id = queue.front();
      queue.pop_front();
      auto it = calls.find(id);
      if (it == calls.end() || !it->second.waiting) {
        if (queue.empty()) {
          waiting.erase(tenant);
        } else {
          ring.push_back(tenant);
        }
        continue;
      }
      auto& c = it->second;
      const auto reserve = static_cast<double>(reserved_tokens(c));
      const double needed = std::min(reserve, token_capacity());
      if (config.tpm > 0 && token_budget < needed) {
        // Not enough token budget for this call yet: it keeps its place.
        queue.push_front(id);
        ring.push_front(tenant);
        schedule_pump(
            milliseconds{static_cast<long>((needed - token_budget) * 60000.0 / config.tpm) + 1});
        return;
      }
      if (queue.empty()) {
        waiting.erase(tenant);
      } else {
        ring.push_back(tenant);
      }
      if (config.rpm > 0) request_budget -= 1.0;
      if (config.tpm > 0) token_budget -= reserve;
      start_attempt(id, c);
    }
  }

  // ---- attempts ------------------------------------------------------------------------------

  void start_attempt(std::uint64_t id, call_state& c) {
    c.waiting = false;
    c.in_flight = true;
    ++in_flight;
    ++c.attempt;
    c.status = 0;
    c.streaming = false;
    c.headers.clear();
    c.body.clear();
    c.decoder = providers::make_stream_decoder(config.type);
    c.started = steady::now();
    c.first_token = steady::time_point{};
    c.last_data = c.started;
    auto call = providers::build_call(config, c.msg.request, true);
    const auto me = handle();
    const int attempt = c.attempt;
    providers::transfer_events events;
    events.on_headers = [me, id, attempt](
                            long status, std::vector<std::pair<std::string, std::string>> headers) {
      caf::anon_send(me, transfer_headers{id, attempt, status, std::move(headers)});
    };
    events.on_data = [me, id, attempt](std::string_view bytes) {
      caf::anon_send(me, transfer_data{id, attempt, std::string{bytes}});
    };
    events.on_done = [me, id, attempt](providers::transfer_outcome outcome) {
      caf::anon_send(
          me, transfer_done{id, attempt, outcome.http_status, outcome.transport_failed,
                            outcome.timed_out, outcome.tls_refused, std::move(outcome.error)});
    };
    c.transfer = transport->submit(std::move(call), {policy.connect_timeout, policy.total_timeout},
                                   std::move(events));
    if (!sweep_scheduled) {
      sweep_scheduled = true;
      self->delayed_send(self, sweep_interval, tick_atom::value);
    }
  }

  call_state* current(std::uint64_t id, int attempt) {
    auto it = calls.find(id);
    if (it == calls.end() || !it->second.in_flight || it->second.attempt != attempt) return nullptr;
    return &it->second;
  }

  void on_headers(transfer_headers& h) {
    auto* c = current(h.call_id, h.attempt);
    if (c == nullptr) return;
    c->status = h.status;
    c->headers = std::move(h.headers);
    for (const auto& [header, value] : c->headers) {
      if (header == "content-type")
        c->streaming = value.find("text/event-stream") != std::string::npos;
    }
  }

  void on_data(transfer_data& d) {
    auto* c = current(d.call_id, d.attempt);
    if (c == nullptr) return;
    const auto now = steady::now();
    c->last_data = now;
    const bool ok = c->status >= 200 && c->status < 300;
    if (ok && c->streaming) {
      c->decoder->feed(d.bytes);
      if (c->decoder->deltas() > 0 && c->first_token == steady::time_point{}) c->first_token = now;
      return;
    }
    if (c->first_token == steady::time_point{}) c->first_token = now;
    const auto limit = ok ? max_whole_body : max_error_body;
    if (c->body.size() < limit) c->body.append(d.bytes, 0, limit - c->body.size());
  }

  void on_done(transfer_done& d) {
    auto* found = current(d.call_id, d.attempt);
    if (found == nullptr) return;
    auto& c = *found;
    const auto id = d.call_id;
    c.in_flight = false;
    --in_flight;
    if (d.tls_refused) {
      // A certificate that fails verification fails the same way on every attempt (a wrong base
      // URL, an intercepting proxy): said at once, never retried.
      return attempt_failed(id, {0, "tls_verification_failed", d.error, false}, std::nullopt);
    }
    if (d.transport_failed) {
      return attempt_failed(id, {0, d.timed_out ? "timeout" : "transport_error", d.error, true},
                            std::nullopt);
    }
    if (c.status < 200 || c.status >= 300) {
      std::optional<milliseconds> retry_after;
      for (const auto& [header, value] : c.headers) {
        if (header == "retry-after")
          retry_after = providers::parse_retry_after(value, std::chrono::system_clock::now());
      }
      return attempt_failed(
          id, providers::parse_error(config.type, static_cast<int>(c.status), c.body), retry_after);
    }
    providers::completion answer;
    if (c.streaming) {
      c.decoder->finish();
      if (c.decoder->error()) return attempt_failed(id, *c.decoder->error(), std::nullopt);
      answer.text = c.decoder->text();
      answer.model = c.decoder->model();
      answer.finish_reason = c.decoder->finish_reason();
      if (c.decoder->usage()) {
        answer.usage = *c.decoder->usage();
      } else {
        answer.usage = estimated_usage(c, answer.text);
      }
    } else {
      auto parsed = providers::parse_response(config.type, c.body);
      if (!parsed) {
        return attempt_failed(
            id, {static_cast<int>(c.status), parsed.error().code, parsed.error().message, false},
            std::nullopt);
      }
      answer = std::move(parsed).value();
    }
    if (answer.model.empty()) answer.model = c.msg.request.model;
    answer.provider = providers::to_string(config.type);
    answer.cost_usd = pricing->cost(config.type, answer.model, answer.usage);
    record_attempt(c, "ok", answer.usage, answer.cost_usd);
    const auto attempt_usage = usage_of(answer);
    c.spent += attempt_usage;
    prompt_result result{id, std::move(answer), std::nullopt, c.attempt, c.spent};
    c.promise.deliver(std::move(result));
    calls.erase(id);
    pump();
  }

  [[nodiscard]] providers::token_usage estimated_usage(const call_state& c,
                                                       const std::string& text) const {
    providers::token_usage u;
    u.input_tokens =
        providers::estimate_tokens(c.msg.request.system.size() + c.msg.request.user.size());
    u.output_tokens = providers::estimate_tokens(text.size());
    u.estimated = true;
    return u;
  }

  // What an attempt that did not answer had consumed: the prompt and the tokens already
  // streamed, estimated (providers bill streamed tokens of broken and aborted streams too).
  [[nodiscard]] usage_totals partial_usage(const call_state& c) const {
    usage_totals u;
    u.calls = 1;
    const std::string& text = c.decoder ? c.decoder->text() : std::string{};
    if (c.status >= 200 && c.status < 300) {
      const auto t = estimated_usage(c, text);
      u.input_tokens = t.input_tokens;
      u.output_tokens = t.output_tokens;
      u.estimated = true;
      u.cost_usd = pricing->cost(config.type, c.msg.request.model, t);
    }
    return u;
  }

  void record_attempt(const call_state& c, const std::string& status,
                      const providers::token_usage& usage, double cost) {
    const auto now = steady::now();
    persistence::provider_call_record r;
    r.execution_id = c.msg.execution_id;
    r.node_id = c.msg.node_id;
    r.seq = static_cast<std::int64_t>(next_call_id());
    r.provider = providers::to_string(config.type);
    r.model = c.msg.request.model;
    r.attempt = c.attempt;
    r.status = status;
    r.latency_ms = duration_cast<milliseconds>(now - c.started).count();
    r.ttft_ms = c.first_token == steady::time_point{}
                    ? -1
                    : duration_cast<milliseconds>(c.first_token - c.started).count();
    r.input_tokens = usage.input_tokens;
    r.output_tokens = usage.output_tokens;
    r.estimated = usage.estimated;
    r.cost_usd = cost;
    r.created_at = now_ms();
    if (!r.execution_id.empty()) self->send(writer, persist{{std::move(r)}, std::nullopt});
  }

  void record_partial(const call_state& c, const std::string& status, const usage_totals& u) {
    providers::token_usage t{u.input_tokens, u.output_tokens, u.estimated};
    record_attempt(c, status, t, u.cost_usd);
  }

  [[nodiscard]] milliseconds backoff(int attempt) {
    // Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))].
    const auto exponent = std::min(attempt - 1, 20);
    const auto ceiling =
        std::min<std::int64_t>(policy.backoff_cap.count(), policy.backoff_base.count() << exponent);
    std::uniform_int_distribution<std::int64_t> pick{0, std::max<std::int64_t>(ceiling, 1)};
    return milliseconds{pick(rng)};
  }

  void attempt_failed(std::uint64_t id, const providers::provider_error& error,
                      std::optional<milliseconds> retry_after) {
    auto& c = calls.at(id);
    const auto consumed = partial_usage(c);
    const std::string status =
        error.http_status > 0 ? std::to_string(error.http_status) : error.code;
    record_partial(c, status, consumed);
    c.spent += consumed;
    const std::string cause =
        (error.http_status > 0 ? std::to_string(error.http_status) + " " : std::string{}) +
        error.code + (error.message.empty() ? "" : ": " + error.message.substr(0, 200));
    if (error.code == "rate_limited") {
      // The key is limited for every execution, not just this one.
      const auto pause = retry_after.value_or(backoff(c.attempt));
      paused_until = std::max(paused_until, steady::now() + pause);
    }
    // A provider that asks for a longer wait than we accept has, for this call, spent its model
    // (the fallback chain takes over); the key stays paused for everyone as it asked.
    const bool wait_acceptable = !retry_after || *retry_after <= policy.retry_after_limit;
    if (error.retryable && wait_acceptable && c.attempt < policy.max_attempts) {
      const auto delay = retry_after.value_or(backoff(c.attempt));
      if (c.requester)
        self->send(c.requester,
                   call_retrying{id, c.attempt + 1, delay.count(), cause, c.msg.request.model});
      self->delayed_send(self, delay, retry_atom::value, id);
      pump();
      return;
    }
    std::string message = "provider " + std::string{providers::to_string(config.type)} +
                          " (model " + c.msg.request.model + ") failed after " +
                          std::to_string(c.attempt) +
                          (c.attempt == 1 ? " attempt: " : " attempts: ") + cause;
    prompt_result result{id, std::nullopt,
                         failure{error.code, std::move(message), error.http_status}, c.attempt,
                         c.spent};
    c.promise.deliver(std::move(result));
    calls.erase(id);
    pump();
  }

  // ---- abort, retries, stalls ---------------------------------------------------------------

  abort_receipt abort(std::uint64_t id) {
    auto it = calls.find(id);
    if (it == calls.end()) return abort_receipt{id, {}};
    auto& c = it->second;
    if (c.in_flight) {
      transport->cancel(c.transfer);  // closes the connection at once
      c.in_flight = false;
      --in_flight;
      const auto consumed = partial_usage(c);
      record_partial(c, "aborted", consumed);
      c.spent += consumed;
    }
    abort_receipt receipt{id, c.spent};
    calls.erase(it);  // a waiting entry is skipped when it reaches the front of its queue
    pump();
    return receipt;
  }

  void retry(std::uint64_t id) {
    if (calls.find(id) == calls.end()) return;  // aborted while backing off
    enqueue(id, true);
    pump();
  }

  void sweep() {
    sweep_scheduled = false;
    const auto now = steady::now();
    std::vector<std::pair<std::uint64_t, std::string>> timed_out;
    for (const auto& [id, c] : calls) {
      if (!c.in_flight) continue;
      if (c.first_token == steady::time_point{} && now - c.started > policy.first_token_timeout) {
        timed_out.emplace_back(id, "no first token within " +
                                       std::to_string(policy.first_token_timeout.count()) + " ms");
      } else if (c.first_token != steady::time_point{} && now - c.last_data > policy.idle_timeout) {
        timed_out.emplace_back(
            id, "stream stalled for " + std::to_string(policy.idle_timeout.count()) + " ms");
      }
    }
    for (auto& [id, why] : timed_out) {
      auto& c = calls.at(id);
      transport->cancel(c.transfer);
      c.in_flight = false;
      --in_flight;
      attempt_failed(id, {0, "timeout", why, true}, std::nullopt);
    }
    if (in_flight > 0 && !sweep_scheduled) {
      sweep_scheduled = true;
      self->delayed_send(self, sweep_interval, tick_atom::value);
    }
  }
};

network_provider_actor::behavior_type network_provider(
    network_provider_actor::stateful_pointer<network_state> self, providers::provider_config config,
    call_policy policy, std::shared_ptr<providers::curl_multi_transport> transport,
    std::shared_ptr<const providers::pricing_table> pricing, store_writer_actor writer) {
  auto& st = self->state;
  st.self = self;
  st.max_concurrent =
      config.max_concurrent > 0 ? config.max_concurrent : policy.default_max_concurrent;
  st.request_budget = std::max(1.0, config.rpm / 60.0);
  st.token_budget = std::max(1.0, config.tpm / 60.0);
  st.config = std::move(config);
  st.policy = policy;
  st.transport = std::move(transport);
  st.pricing = std::move(pricing);
  st.writer = std::move(writer);
  return {
      [self](complete_prompt& msg) -> caf::result<prompt_result> {
        // The sender first: make_response_promise() takes it out of the current message.
        auto requester = caf::actor_cast<node_actor>(self->current_sender());
        auto promise = self->make_response_promise<prompt_result>();
        const auto id = msg.call_id;
        auto& c = self->state.calls[id];
        c.msg = std::move(msg);
        c.promise = promise;
        c.requester = std::move(requester);
        self->state.enqueue(id, false);
        self->state.pump();
        return promise;
      },
      [self](abort_prompt& a) -> abort_receipt { return self->state.abort(a.call_id); },
      [self](transfer_headers& h) { self->state.on_headers(h); },
      [self](transfer_data& d) { self->state.on_data(d); },
      [self](transfer_done& d) { self->state.on_done(d); },
      [self](retry_atom, std::uint64_t id) { self->state.retry(id); },
      [self](pump_atom) {
        self->state.pump_scheduled = false;
        self->state.pump();
      },
      [self](tick_atom) { self->state.sweep(); },
  };
}

}  // namespace

provider_actor spawn_network_provider(caf::actor_system& system, providers::provider_config config,
                                      call_policy policy,
                                      std::shared_ptr<providers::curl_multi_transport> transport,
                                      std::shared_ptr<const providers::pricing_table> pricing,
                                      store_writer_actor writer) {
  return caf::actor_cast<provider_actor>(system.spawn(network_provider, std::move(config), policy,
                                                      std::move(transport), std::move(pricing),
                                                      std::move(writer)));
}

}  // namespace lekhika::actors
