#include "registry.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace fake_provider {
namespace {

using json = nlohmann::json;

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string dump(const json& value) {
  // Model names come from clients: replace invalid UTF-8 rather than throw.
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string_view outcome_name(outcome o) {
  switch (o) {
    case outcome::active:
      return "active";
    case outcome::completed:
      return "completed";
    case outcome::aborted:
      return "aborted";
    case outcome::error:
      return "error";
  }
  return "unknown";
}

defaults registry::get_defaults() const {
  std::lock_guard lock{mutex_};
  return defaults_;
}

void registry::set_defaults(const defaults& d) {
  std::lock_guard lock{mutex_};
  defaults_ = d;
}

std::int64_t registry::next_attempt(const std::string& key) {
  std::lock_guard lock{mutex_};
  if (attempts_.size() >= 100000 && attempts_.find(key) == attempts_.end()) attempts_.clear();
  return ++attempts_[key];
}

registry::ticket registry::begin(log_entry entry) {
  std::lock_guard lock{mutex_};
  ticket t{next_seq_++, generation_};
  entry.seq = t.seq;
  ++totals_.requests;
  ++active_;
  if (!entry.model.empty()) {
    const bool known = by_model_.size() < kMaxModels || by_model_.count(entry.model) > 0;
    ++by_model_[known ? entry.model : std::string{"(other)"}].requests;
  }
  if (entry.status != 0) ++by_status_[entry.status];
  log_.push_back(std::move(entry));
  if (log_.size() > kLogCapacity) log_.pop_front();
  return t;
}

void registry::count(counters& c, outcome result) {
  switch (result) {
    case outcome::completed:
      ++c.completed;
      break;
    case outcome::aborted:
      ++c.aborted;
      break;
    case outcome::error:
      ++c.errors;
      break;
    case outcome::active:
      break;
  }
}

void registry::finish(const ticket& t, outcome result, int chunks_sent) {
  std::lock_guard lock{mutex_};
  --active_;
  if (t.generation != generation_) return;  // counted before a reset
  count(totals_, result);
  if (log_.empty() || t.seq < log_.front().seq) return;
  const auto index = static_cast<std::size_t>(t.seq - log_.front().seq);
  if (index >= log_.size()) return;
  log_entry& entry = log_[index];
  entry.result = result;
  entry.end_us = now_us();
  entry.chunks_sent = chunks_sent;
  if (entry.model.empty()) return;
  auto model = by_model_.find(entry.model);
  if (model == by_model_.end()) model = by_model_.find("(other)");
  if (model != by_model_.end()) count(model->second, result);
}

void registry::protocol_error() {
  std::lock_guard lock{mutex_};
  ++protocol_errors_;
}

std::string registry::stats_json() const {
  std::lock_guard lock{mutex_};
  json out = {{"requests", totals_.requests},
              {"completed", totals_.completed},
              {"aborted", totals_.aborted},
              {"errors", totals_.errors},
              {"active", active_},
              {"protocol_errors", protocol_errors_},
              {"by_model", json::object()},
              {"by_status", json::object()}};
  for (const auto& [model, c] : by_model_) {
    out["by_model"][model] = {{"requests", c.requests},
                              {"completed", c.completed},
                              {"aborted", c.aborted},
                              {"errors", c.errors}};
  }
  for (const auto& [status, n] : by_status_) out["by_status"][std::to_string(status)] = n;
  return dump(out);
}

std::string registry::log_json(std::size_t limit, std::uint64_t since) const {
  std::lock_guard lock{mutex_};
  std::size_t first = log_.size();
  std::size_t taken = 0;
  while (first > 0 && taken < limit && log_[first - 1].seq > since) {
    --first;
    ++taken;
  }
  json out = json::array();
  for (std::size_t i = first; i < log_.size(); ++i) {
    const log_entry& e = log_[i];
    out.push_back({{"seq", e.seq},
                   {"time_ms", e.time_ms},
                   {"start_us", e.start_us},
                   {"connection", e.connection},
                   {"end_us", e.end_us},
                   {"route", e.route},
                   {"provider", e.provider},
                   {"model", e.model},
                   {"behaviour", e.behaviour},
                   {"directives", e.directives},
                   {"stream", e.stream},
                   {"status", e.status},
                   {"outcome", outcome_name(e.result)},
                   {"prompt_chars", e.prompt_chars},
                   {"prompt_fnv1a64", e.prompt_fnv1a64},
                   {"key_tail", e.key_tail},
                   {"attempt", e.attempt},
                   {"chunks_sent", e.chunks_sent},
                   {"prompt_tokens", e.prompt_tokens},
                   {"completion_tokens", e.completion_tokens}});
  }
  return dump(out);
}

void registry::reset() {
  std::lock_guard lock{mutex_};
  ++generation_;
  totals_ = {};
  protocol_errors_ = 0;
  by_model_.clear();
  by_status_.clear();
  log_.clear();
  attempts_.clear();
}

}  // namespace fake_provider
