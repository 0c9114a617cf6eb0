#include "views.hpp"

#include <ctime>

namespace lekhika::http {

http_answer ok_answer(nlohmann::json data, int status) {
  http_answer answer;
  answer.status = status;
  answer.body = nlohmann::json{{"success", true}, {"data", std::move(data)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return answer;
}

int status_of(const std::string& code) noexcept {
  if (code == "invalid_json") return 400;
  if (code == "bad_request") return 400;
  if (code == "unauthorized") return 401;
  if (code == "not_found") return 404;
  if (code == "method_not_allowed") return 405;
  if (code == "conflict") return 409;
  if (code == "payload_too_large") return 413;
  if (code == "unsupported_media_type") return 415;
  if (code == "validation_failed") return 422;
  if (code == "overloaded") return 429;
  if (code == "not_ready") return 503;
  return 500;
}

http_answer error_answer(const std::string& code, const std::string& message,
                         nlohmann::json details) {
  nlohmann::json error{{"code", code}, {"message", message}};
  if (!details.is_null()) error["details"] = std::move(details);
  http_answer answer;
  answer.status = status_of(code);
  answer.body = nlohmann::json{{"success", false}, {"error", std::move(error)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return answer;
}

nlohmann::json problems_json(const workflow::problem_list& problems) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : problems) out.push_back({{"path", p.path}, {"message", p.message}});
  return out;
}

nlohmann::json iso_time(std::int64_t epoch_ms) {
  if (epoch_ms <= 0) return nullptr;
  const std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  const auto n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(epoch_ms % 1000));
  return std::string{buffer, n} + millis;
}

namespace {

// Adds the text formats' content to data.output.formats (api.md §2.1).
nlohmann::json output_with_content(nlohmann::json output,
                                   const std::map<std::string, std::string>& inline_text) {
  if (!output.is_object() || !output.contains("formats")) return output;
  for (auto& [format, entry] : output["formats"].items()) {
    if (auto it = inline_text.find(format); it != inline_text.end()) entry["content"] = it->second;
  }
  return output;
}

nlohmann::json node_json(const persistence::node_run_record& run) {
  nlohmann::json node{
      {"status", run.status},
      {"attempts", run.attempts},
      {"startedAt", iso_time(run.started_at)},
      {"finishedAt", iso_time(run.finished_at)},
      {"usage", run.usage.is_null() ? actors::usage_totals{}.to_json() : run.usage}};
  if (!run.error.is_null()) node["error"] = run.error;
  if (run.chapters_total > 0)
    node["chapters"] = {{"done", run.chapters_done}, {"total", run.chapters_total}};
  return node;
}

}  // namespace

nlohmann::json execution_json(const actors::execution_snapshot& snapshot,
                              const std::map<std::string, std::string>& inline_text) {
  const auto& r = snapshot.record;
  nlohmann::json nodes = nlohmann::json::object();
  for (const auto& run : snapshot.nodes) nodes[run.node_id] = node_json(run);
  nlohmann::json out{{"executionId", r.id},
                     {"userId", r.user_id},
                     {"engineId", r.engine_id},
                     {"status", r.status},
                     {"progress", r.progress},
                     {"createdAt", iso_time(r.created_at)},
                     {"startedAt", iso_time(r.started_at)},
                     {"finishedAt", iso_time(r.finished_at)},
                     {"nodes", std::move(nodes)},
                     {"usage", r.usage.is_null() ? actors::usage_totals{}.to_json() : r.usage}};
  if (snapshot.queue_position) out["queuePosition"] = *snapshot.queue_position;
  if (!r.error.is_null()) out["error"] = r.error;
  if (!r.result.is_null()) out["result"] = r.result;
  if (!r.output.is_null()) out["output"] = output_with_content(r.output, inline_text);
  return out;
}

nlohmann::json final_json(const persistence::execution_record& record,
                          const std::map<std::string, std::string>& inline_text) {
  nlohmann::json out{
      {"executionId", record.id},
      {"status", record.status},
      {"result", record.result},
      {"output", output_with_content(record.output, inline_text)},
      {"usage", record.usage.is_null() ? actors::usage_totals{}.to_json() : record.usage}};
  if (!record.error.is_null()) out["error"] = record.error;
  return out;
}

nlohmann::json summary_json(const persistence::execution_summary& s) {
  return {{"executionId", s.id},
          {"userId", s.user_id},
          {"engineId", s.engine_id},
          {"status", s.status},
          {"progress", s.progress},
          {"createdAt", iso_time(s.created_at)},
          {"startedAt", iso_time(s.started_at)},
          {"finishedAt", iso_time(s.finished_at)}};
}

}  // namespace lekhika::http
