#include "store_common.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <system_error>
#include <variant>

namespace lekhika::persistence::detail {

namespace {

constexpr int max_page_size = 500;

// The cursor is base64url("<created_at>:<id>") of the last row of a page: opaque to clients,
// URL-safe, and enough for keyset pagination on the (created_at DESC, id DESC) index.
constexpr std::string_view base64url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

[[nodiscard]] std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(base64url_alphabet[(buffer >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(base64url_alphabet[(buffer << (6 - bits)) & 0x3f]);
  return out;
}

[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;  // no encoding ends with a lone sextet
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const auto pos = base64url_alphabet.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

[[nodiscard]] std::string_view kind_of(const write& w) {
  return std::visit(
      [](const auto& v) -> std::string_view {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, execution_update>) {
          return "execution_update";
        } else if constexpr (std::is_same_v<T, event_record>) {
          return "event_record";
        } else if constexpr (std::is_same_v<T, node_run_record>) {
          return "node_run_record";
        } else if constexpr (std::is_same_v<T, node_output_record>) {
          return "node_output_record";
        } else if constexpr (std::is_same_v<T, chapter_record>) {
          return "chapter_record";
        } else if constexpr (std::is_same_v<T, artifact_record>) {
          return "artifact_record";
        } else {
          static_assert(std::is_same_v<T, provider_call_record>);
          return "provider_call_record";
        }
      },
      w);
}

// Cuts UTF-8 text to at most `max_bytes` without splitting a character.
[[nodiscard]] std::string truncate_utf8(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

[[nodiscard]] std::int64_t json_int(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return 0;
  const auto found = object.find(key);
  if (found == object.end() || !found->is_number()) return 0;
  const double value = found->get<double>();
  if (!(value > 0)) return 0;
  if (value >= 9.0e18) return std::numeric_limits<std::int64_t>::max();
  return found->is_number_float() ? static_cast<std::int64_t>(value) : found->get<std::int64_t>();
}

[[nodiscard]] bool is_terminal(const std::string& status) {
  return status == "completed" || status == "failed" || status == "cancelled";
}

}  // namespace

epoch_ms now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string encode_cursor(const execution_summary& last) {
  return base64url_encode(std::to_string(last.created_at) + ":" + last.id);
}

std::optional<list_cursor> decode_cursor(std::string_view text) {
  const auto raw = base64url_decode(text);
  if (!raw) return std::nullopt;
  const auto colon = raw->find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == raw->size()) return std::nullopt;
  list_cursor cursor;
  const char* first = raw->data();
  const char* last = raw->data() + colon;
  const auto [end, ec] = std::from_chars(first, last, cursor.created_at);
  if (ec != std::errc{} || end != last) return std::nullopt;
  cursor.id = raw->substr(colon + 1);
  return cursor;
}

std::optional<list_cursor> cursor_of(const execution_filter& filter) {
  // An empty cursor is the first page, as when a client echoes back "no next page".
  if (!filter.cursor || filter.cursor->empty()) return std::nullopt;
  auto after = decode_cursor(*filter.cursor);
  if (!after) {
    throw store_exception(failure{"invalid_cursor",
                                  "the cursor is not one this service returned; list again "
                                  "without a cursor"});
  }
  return after;
}

int page_limit(const execution_filter& filter) {
  return std::clamp(filter.limit, 1, max_page_size);
}

const std::string& execution_id_of(const write& w) {
  return std::visit(
      [](const auto& v) -> const std::string& {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, execution_update>) {
          return v.id;
        } else {
          return v.execution_id;
        }
      },
      w);
}

store_exception batch_failure(const write_batch& batch, std::size_t index, const std::string& code,
                              std::string_view why) {
  return store_exception(failure{code, "batch write " + std::to_string(index + 1) + " of " +
                                           std::to_string(batch.size()) + " (" +
                                           std::string(kind_of(batch[index])) + " for execution '" +
                                           execution_id_of(batch[index]) +
                                           "') failed, nothing was applied: " + std::string(why)});
}

bool is_uuid(std::string_view text) noexcept {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

lekhika_row lekhika_row_for(const std::string& status, int progress, epoch_ms started_at,
                            epoch_ms finished_at, const nlohmann::json& usage,
                            const nlohmann::json& error, std::int64_t chapters,
                            const nlohmann::json& formats) {
  constexpr std::int64_t int4_max = std::numeric_limits<std::int32_t>::max();
  // numeric(10,4) holds at most 999999.9999.
  constexpr double cost_max = 999999.9999;
  constexpr std::size_t max_message_bytes = 500;

  lekhika_row row;
  const bool terminal = is_terminal(status);
  // The table's CHECK constraint allows only these three; every unfinished state is "running".
  if (status == "completed") {
    row.status = "completed";
  } else if (status == "failed" || status == "cancelled") {
    row.status = "failed";
  } else {
    row.status = "running";
  }

  std::int64_t tokens = json_int(usage, "inputTokens");
  const std::int64_t output_tokens = json_int(usage, "outputTokens");
  tokens = tokens > std::numeric_limits<std::int64_t>::max() - output_tokens
               ? std::numeric_limits<std::int64_t>::max()
               : tokens + output_tokens;
  if (tokens == 0) tokens = json_int(usage, "totalTokens");
  row.tokens_used = std::min(tokens, int4_max);

  if (usage.is_object()) {
    const auto cost = usage.find("costUsd");
    if (cost != usage.end() && cost->is_number()) {
      row.cost_estimate = std::clamp(cost->get<double>(), 0.0, cost_max);
    }
  }

  if (terminal && finished_at > 0) {
    row.completed_at = finished_at;
    if (started_at > 0) {
      row.execution_ms = std::clamp<std::int64_t>(finished_at - started_at, 0, int4_max);
    }
  }

  std::string message;
  if (error.is_object() && error.contains("message") && error["message"].is_string()) {
    message = truncate_utf8(error["message"].get<std::string>(), max_message_bytes);
  }
  if (status == "cancelled") {
    row.error_message = "Execution cancelled by user";
  } else if (status == "failed") {
    row.error_message = message.empty() ? std::string("Execution failed") : message;
  }

  // A summary of a few hundred bytes: the readers of engine_executions get the state at a
  // glance, and the row never again carries whole books or inline binary files.
  nlohmann::json data{{"engine", "lekhika-cpp"}, {"status", status}, {"progress", progress}};
  nlohmann::json usage_summary = nlohmann::json::object();
  if (usage.is_object()) {
    for (const char* key :
         {"inputTokens", "outputTokens", "totalTokens", "costUsd", "calls", "words"}) {
      const auto found = usage.find(key);
      if (found != usage.end() && found->is_number()) usage_summary[key] = *found;
    }
  }
  data["usage"] = std::move(usage_summary);
  if (error.is_object()) {
    nlohmann::json error_summary = nlohmann::json::object();
    for (const char* key : {"code", "nodeId"}) {
      const auto found = error.find(key);
      if (found != error.end() && found->is_string()) {
        error_summary[key] = truncate_utf8(found->get<std::string>(), 200);
      }
    }
    if (!message.empty()) error_summary["message"] = message;
    data["error"] = std::move(error_summary);
  }
  if (chapters > 0) data["chapters"] = chapters;
  if (formats.is_array() && !formats.empty()) data["formats"] = formats;
  row.execution_data = std::move(data);
  return row;
}

}  // namespace lekhika::persistence::detail
