// The public entry points of wire.hpp (dispatch on the wire family) and what the three
// families share: JSON access that never throws, quoting of bodies, error classification and
// the SSE decoder base.

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <utility>

#include "wire_internal.hpp"

namespace lekhika::providers {
namespace wire_detail {
namespace {

enum class family { none, openai, anthropic, gemini };

family family_of(provider_type type) {
  switch (type) {
    case provider_type::openai:
    case provider_type::mistral:
    case provider_type::xai:
    case provider_type::perplexity:
    case provider_type::openrouter:
    case provider_type::ollama:
      return family::openai;
    case provider_type::anthropic:
      return family::anthropic;
    case provider_type::gemini:
      return family::gemini;
    case provider_type::offline:
      break;
  }
  return family::none;
}

std::string lower(std::string_view text) {
  std::string out{text};
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 529:
      return "Overloaded";
    default:
      return "";
  }
}

struct status_class {
  const char* code;
  bool retryable;
};

status_class classify_status(int status) {
  if (status == 0) return {"transport_error", true};
  if (status == 429) return {"rate_limited", true};
  if (status == 408) return {"timeout", true};
  if (status == 409) return {"conflict", true};
  if (status == 529) return {"overloaded", true};
  if (status >= 500 && status <= 599) return {"server_error", true};
  if (status == 401 || status == 403) return {"unauthorized", false};
  if (status == 404) return {"not_found", false};
  // 400, 422 and every other 4xx: the request itself is wrong, so repeating it cannot help.
  if (status >= 400 && status <= 499) return {"bad_request", false};
  // 1xx/2xx/3xx reaching the error path (e.g. a redirect from a wrong base URL) are answers
  // we cannot use.
  return {"invalid_response", false};
}

// For errors that come without a status (events inside a 2xx stream): the provider's own
// error type or status names the class.
status_class classify_type(const error_info& info) {
  const std::string type = lower(info.type.empty() ? info.status : info.type);
  const std::string code = lower(info.code);
  if (contains(type, "overloaded") || type == "unavailable") return {"overloaded", true};
  if (contains(type, "rate_limit") || contains(code, "rate_limit") ||
      type == "resource_exhausted" || type == "tokens" || type == "requests")
    return {"rate_limited", true};
  if (contains(type, "timeout") || type == "deadline_exceeded") return {"timeout", true};
  if (contains(type, "authentication") || contains(type, "permission") || type == "unauthenticated")
    return {"unauthorized", false};
  if (contains(type, "not_found")) return {"not_found", false};
  if (contains(type, "invalid_request") || type == "invalid_argument" ||
      type == "failed_precondition" || contains(type, "request_too_large"))
    return {"bad_request", false};
  // api_error, server_error, INTERNAL and anything unknown: the provider failed mid-answer.
  return {"server_error", true};
}

std::string text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return {};
  // Some compatible servers (Mistral's 422) put a structure in "message" or "detail".
  return dump_json(value);
}

}  // namespace

json parse_json(std::string_view text) {
  return json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

std::string dump_json(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

const json* member(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::optional<std::string> string_member(const json& object, std::string_view key) {
  const json* value = member(object, key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

std::optional<std::int64_t> count_member(const json& object, std::string_view key) {
  const json* value = member(object, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_unsigned() || value->is_number_integer()) {
    const auto count = value->get<std::int64_t>();
    return count >= 0 ? std::optional{count} : std::nullopt;
  }
  if (value->is_number_float()) {
    const double count = value->get<double>();
    if (!std::isfinite(count) || count < 0 ||
        count > static_cast<double>(std::numeric_limits<std::int32_t>::max()) * 1e6)
      return std::nullopt;
    return static_cast<std::int64_t>(count);
  }
  return std::nullopt;
}

const json* first_element(const json& object, std::string_view key) {
  const json* array = member(object, key);
  if (array == nullptr || !array->is_array() || array->empty()) return nullptr;
  return &array->front();
}

std::string quote(std::string_view text, std::size_t limit) {
  std::size_t end = std::min(text.size(), limit);
  // Back up to the start of a UTF-8 character so that the quote stays valid UTF-8.
  if (end < text.size()) {
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) --end;
  }
  std::string out;
  out.reserve(end + 3);
  for (std::size_t i = 0; i < end; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out.push_back(c < 0x20U || c == 0x7FU ? ' ' : text[i]);
  }
  if (end < text.size()) out += "...";
  return out;
}

std::string trim_base_url(std::string_view base_url) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  return std::string{base_url};
}

std::string model_for(const provider_config& provider, const completion_request& request) {
  return request.model.empty() ? provider.default_model : request.model;
}

provider_error make_error(std::string code, std::string message, bool retryable, int http_status) {
  provider_error error;
  error.http_status = http_status;
  error.code = std::move(code);
  error.message = quote(message, error_message_limit);
  error.retryable = retryable;
  return error;
}

failure invalid_response(provider_type type, std::string_view what, std::string_view body) {
  return failure{"invalid_response", std::string{to_string(type)} + " answer " + std::string{what} +
                                         ": " + quote(body)};
}

error_info extract_error(const json& root) {
  error_info info;
  if (!root.is_object()) return info;
  const json* error = member(root, "error");
  if (error != nullptr && error->is_object()) {
    info.found = true;
    if (const json* message = member(*error, "message")) info.message = text_of(*message);
    info.type = string_member(*error, "type").value_or("");
    info.status = string_member(*error, "status").value_or("");
    if (const json* code = member(*error, "code")) {
      if (code->is_string()) {
        info.code = code->get<std::string>();
      } else if (code->is_number_integer()) {
        const auto number = code->get<std::int64_t>();
        if (number >= 100 && number <= 599) info.numeric_code = static_cast<int>(number);
      }
    }
    if (const json* details = member(*error, "details");
        details != nullptr && details->is_array()) {
      for (const auto& detail : *details) {
        if (auto reason = string_member(detail, "reason")) {
          info.reason = *reason;
          break;
        }
      }
    }
    return info;
  }
  if (error != nullptr && error->is_string()) {  // Ollama: {"error": "model 'x' not found"}
    info.found = true;
    info.message = error->get<std::string>();
    return info;
  }
  for (const char* key : {"message", "detail"}) {  // Mistral, FastAPI-based servers
    if (const json* message = member(root, key)) {
      info.found = true;
      info.message = text_of(*message);
      info.type = string_member(root, "type").value_or("");
      info.code = string_member(root, "code").value_or("");
      return info;
    }
  }
  return info;
}

provider_error classify_error(provider_type type, int http_status, const error_info& info) {
  status_class cls = http_status == 0 ? classify_type(info) : classify_status(http_status);
  const std::string type_lower = lower(info.type);
  const std::string code_lower = lower(info.code);
  if (type_lower == "overloaded_error" ||
      (http_status >= 500 && contains(lower(info.message), "overloaded"))) {
    cls = {"overloaded", true};
  }
  if (code_lower == "content_filter" || code_lower == "content_policy_violation") {
    cls = {"content_filter", false};
  }
  // Gemini answers a bad key with 400 INVALID_ARGUMENT; it is still a credential problem.
  if (info.reason == "API_KEY_INVALID" || code_lower == "invalid_api_key") {
    cls = {"unauthorized", false};
  }
  // OpenAI's 429 "insufficient_quota" means the account is out of credit: waiting will not
  // help, so it is not retried (it stays rate_limited so the key is paused like a 429).
  if (http_status == 429 && code_lower == "insufficient_quota") cls.retryable = false;

  std::string message = to_string(type);
  if (http_status != 0) {
    message += " answered HTTP " + std::to_string(http_status);
    if (const char* phrase = reason_phrase(http_status); *phrase != '\0') {
      message += ' ';
      message += phrase;
    }
  } else {
    message += " reported an error";  // inside a 2xx answer or stream
  }
  if (!info.message.empty()) message += ": " + quote(info.message, 240);
  return make_error(cls.code, std::move(message), cls.retryable, http_status);
}

provider_error stream_error(provider_type type, const json& root) {
  error_info info = extract_error(root);
  if (!info.found) info.message = "error event without details";
  // A status inside the event (OpenRouter, Gemini) classifies better than the type alone.
  return classify_error(type, info.numeric_code, info);
}

void sse_decoder::feed(std::string_view bytes) {
  if (error_ || finished_) return;
  try {
    dispatch(parser_.feed(bytes));
  } catch (const std::exception&) {
    // Only allocation can throw here; report it as a broken answer rather than crash the actor.
    fail(make_error("invalid_response", "could not decode the stream", false));
  }
}

void sse_decoder::finish() {
  if (finished_) return;
  try {
    if (!error_) dispatch(parser_.finish());
  } catch (const std::exception&) {
    fail(make_error("invalid_response", "could not decode the stream", false));
  }
  finished_ = true;
  if (!error_ && !complete_) on_end();
  if (!error_ && !complete_) {
    // The connection closed cleanly but the provider's final event never came: the answer is
    // cut, and another attempt may well succeed.
    fail(make_error("transport_error", "stream ended early", true));
  }
}

void sse_decoder::add_text(std::string_view piece) {
  if (piece.empty()) return;
  text_ += piece;
  ++deltas_;
}

void sse_decoder::fail(provider_error error) {
  if (!error_) error_ = std::move(error);
}

void sse_decoder::dispatch(const std::vector<sse_parser::event>& events) {
  for (const auto& event : events) {
    if (error_) return;
    on_event(event);
  }
}

namespace {

class unsupported_decoder final : public stream_decoder {
 public:
  explicit unsupported_decoder(provider_type type) : type_(type) {}
  void feed(std::string_view /*bytes*/) override { fail(); }
  void finish() override { fail(); }

 private:
  void fail() {
    if (!error_) {
      error_ = make_error("invalid_response",
                          std::string{to_string(type_)} + " has no streaming wire format", false);
    }
  }
  provider_type type_;
};

}  // namespace

std::unique_ptr<stream_decoder> make_unsupported_decoder(provider_type type) {
  return std::make_unique<unsupported_decoder>(type);
}

}  // namespace wire_detail

http_call build_call(const provider_config& provider, const completion_request& request,
                     bool stream) {
  switch (wire_detail::family_of(provider.type)) {
    case wire_detail::family::openai:
      return wire_detail::build_openai_call(provider, request, stream);
    case wire_detail::family::anthropic:
      return wire_detail::build_anthropic_call(provider, request, stream);
    case wire_detail::family::gemini:
      return wire_detail::build_gemini_call(provider, request, stream);
    case wire_detail::family::none:
      break;
  }
  // The offline provider answers in-process (offline_complete); an empty URL says "no call".
  return http_call{};
}

result<completion> parse_response(provider_type type, std::string_view body) {
  try {
    switch (wire_detail::family_of(type)) {
      case wire_detail::family::openai:
        return wire_detail::parse_openai_response(type, body);
      case wire_detail::family::anthropic:
        return wire_detail::parse_anthropic_response(body);
      case wire_detail::family::gemini:
        return wire_detail::parse_gemini_response(body);
      case wire_detail::family::none:
        break;
    }
    return failure{"invalid_response",
                   std::string{to_string(type)} + " has no wire format to parse"};
  } catch (const std::exception&) {
    // The parsers check every type before reading; this is for allocation failures.
    return failure{"invalid_response", std::string{to_string(type)} + " answer could not be read"};
  }
}

std::unique_ptr<stream_decoder> make_stream_decoder(provider_type type) {
  switch (wire_detail::family_of(type)) {
    case wire_detail::family::openai:
      return wire_detail::make_openai_decoder(type);
    case wire_detail::family::anthropic:
      return wire_detail::make_anthropic_decoder();
    case wire_detail::family::gemini:
      return wire_detail::make_gemini_decoder();
    case wire_detail::family::none:
      break;
  }
  // Never null, so callers need no special case; it reports an error when used.
  return wire_detail::make_unsupported_decoder(type);
}

provider_error parse_error(provider_type type, int http_status, std::string_view body) {
  try {
    if (http_status <= 0) {
      // No HTTP answer at all: the transport passes its own description as the body.
      std::string message = std::string{to_string(type)} + " transport error";
      if (!body.empty()) message += ": " + wire_detail::quote(body, 240);
      return wire_detail::make_error("transport_error", std::move(message), true, 0);
    }
    wire_detail::error_info info = wire_detail::extract_error(wire_detail::parse_json(body));
    if (!info.found) {
      // Not a JSON error object: an HTML page from a proxy, plain text, or nothing. Quote
      // short plain text (often the useful part), never markup.
      const auto first = body.find_first_not_of(" \t\r\n");
      if (first == std::string_view::npos) {
        info.message.clear();
      } else if (body[first] == '<') {
        info.message = "(HTML error page)";
      } else if (body[first] != '{' && body[first] != '[') {
        info.message = wire_detail::quote(body.substr(first), 120);
      }
    }
    return wire_detail::classify_error(type, http_status, info);
  } catch (const std::exception&) {
    return wire_detail::make_error("server_error", "error answer could not be read",
                                   http_status >= 500 || http_status == 429, http_status);
  }
}

}  // namespace lekhika::providers
