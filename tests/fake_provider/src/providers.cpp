#include "providers.hpp"

#include "behaviour.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace fake_provider {
namespace {

using json = nlohmann::json;

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Nesting deeper than this is refused before parsing (a body of 30 MB of '[' must not cost
// gigabytes).
bool nesting_within(std::string_view body, int limit) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

// Appends the text of a message content: a string, a block with "text", or a list of them.
void collect_text(const json& value, call& out) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (!out.prompt.empty()) out.prompt += '\n';
    out.prompt += text;
    out.prompt_chars += utf8_length(text);
  } else if (value.is_array()) {
    for (const auto& item : value) collect_text(item, out);
  } else if (value.is_object()) {
    if (auto it = value.find("text"); it != value.end() && it->is_string()) collect_text(*it, out);
  }
}

struct error_kind {
  const char* type;
  const char* code;  // OpenAI code or nullptr
};

error_kind openai_kind(int status) {
  switch (status) {
    case 401:
      return {"invalid_request_error", "invalid_api_key"};
    case 404:
      return {"invalid_request_error", "not_found"};
    case 429:
      return {"requests", "rate_limit_exceeded"};
    default:
      break;
  }
  if (status >= 500) return {"server_error", nullptr};
  return {"invalid_request_error", nullptr};
}

const char* anthropic_kind(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    default:
      break;
  }
  return status >= 500 ? "api_error" : "invalid_request_error";
}

const char* gemini_kind(int status) {
  switch (status) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "ABORTED";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 499:
      return "CANCELLED";
    case 500:
      return "INTERNAL";
    case 501:
      return "UNIMPLEMENTED";
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
    default:
      break;
  }
  return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
}

std::string openai_usage(const answer_info& a) {
  return "{\"prompt_tokens\":" + std::to_string(a.prompt_tokens) +
         ",\"completion_tokens\":" + std::to_string(a.completion_tokens) +
         ",\"total_tokens\":" + std::to_string(a.prompt_tokens + a.completion_tokens) + "}";
}

std::string gemini_usage(const answer_info& a) {
  return "{\"promptTokenCount\":" + std::to_string(a.prompt_tokens) +
         ",\"candidatesTokenCount\":" + std::to_string(a.completion_tokens) +
         ",\"totalTokenCount\":" + std::to_string(a.prompt_tokens + a.completion_tokens) + "}";
}

// One GenerateContentResponse (a whole answer or a stream chunk).
std::string gemini_response(const answer_info& a, std::string_view text, bool last) {
  std::string out = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":";
  out += json_quote(text);
  out += "}],\"role\":\"model\"}";
  if (last) out += ",\"finishReason\":\"STOP\"";
  out += ",\"index\":0}]";
  if (last && a.usage) out += ",\"usageMetadata\":" + gemini_usage(a);
  out += ",\"modelVersion\":" + json_quote(a.model);
  out += ",\"responseId\":" + json_quote(a.id) + "}";
  return out;
}

std::string openai_chunk(const answer_info& a, std::string_view delta, const char* finish) {
  std::string out =
      "data: {\"id\":" + json_quote(a.id) +
      ",\"object\":\"chat.completion.chunk\",\"created\":" + std::to_string(a.created) +
      ",\"model\":" + json_quote(a.model) +
      ",\"system_fingerprint\":\"fp_fake\",\"choices\":[{\"index\":0,\"delta\":";
  out += delta;
  out += ",\"logprobs\":null,\"finish_reason\":";
  out += finish != nullptr ? json_quote(finish) : "null";
  out += "}]";
  if (a.include_usage && a.usage) out += ",\"usage\":null";
  out += "}\n\n";
  return out;
}

std::string anthropic_event(std::string_view type, std::string_view data) {
  std::string out = "event: ";
  out += type;
  out += "\ndata: ";
  out += data;
  out += "\n\n";
  return out;
}

}  // namespace

std::string_view provider_name(provider p) {
  switch (p) {
    case provider::openai:
      return "openai";
    case provider::anthropic:
      return "anthropic";
    case provider::gemini:
      return "gemini";
  }
  return "unknown";
}

std::optional<route> match_route(const http_request& request) {
  const std::string_view path = request.path;
  route r;
  if (ends_with(path, "/chat/completions")) {
    r.kind = provider::openai;
    return r;
  }
  if (ends_with(path, "/messages")) {
    r.kind = provider::anthropic;
    return r;
  }
  const auto models = path.rfind("/models/");
  const auto colon = path.rfind(':');
  if (models != std::string_view::npos && colon != std::string_view::npos && colon > models) {
    const std::string_view method = path.substr(colon + 1);
    if (method != "generateContent" && method != "streamGenerateContent") return std::nullopt;
    r.kind = provider::gemini;
    r.model = url_decode(path.substr(models + 8, colon - models - 8), false);
    r.gemini_stream = method == "streamGenerateContent";
    r.gemini_sse = r.gemini_stream && request.query_param("alt") == "sse";
    return r;
  }
  return std::nullopt;
}

std::optional<std::string> api_key(provider p, const http_request& request) {
  std::string key;
  switch (p) {
    case provider::openai:
      if (const auto* auth = request.header("authorization")) {
        std::string_view v = trim(*auth);
        if (v.size() > 7 && (v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer ")) {
          key = std::string{trim(v.substr(7))};
        }
      }
      break;
    case provider::anthropic:
      if (const auto* k = request.header("x-api-key")) key = std::string{trim(*k)};
      break;
    case provider::gemini:
      if (const auto* k = request.header("x-goog-api-key")) {
        key = std::string{trim(*k)};
      } else if (auto q = request.query_param("key")) {
        key = *q;
      }
      break;
  }
  if (key.empty()) return std::nullopt;
  return key;
}

std::optional<std::string> parse_call(const route& r, const http_request& request, call& out) {
  if (!nesting_within(request.body, 64)) return "request body nests too deeply";
  const json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return "request body is not valid JSON";
  if (!body.is_object()) return "request body must be a JSON object";
  out = call{};
  switch (r.kind) {
    case provider::openai:
    case provider::anthropic: {
      auto model = body.find("model");
      if (model == body.end() || !model->is_string() ||
          model->get_ref<const std::string&>().empty()) {
        return "'model' is required";
      }
      out.model = model->get<std::string>();
      auto messages = body.find("messages");
      if (messages == body.end() || !messages->is_array()) return "'messages' must be an array";
      if (auto s = body.find("stream"); s != body.end() && s->is_boolean())
        out.stream = s->get<bool>();
      if (r.kind == provider::openai) {
        if (auto so = body.find("stream_options"); so != body.end() && so->is_object()) {
          auto iu = so->find("include_usage");
          out.include_usage = iu != so->end() && iu->is_boolean() && iu->get<bool>();
        }
      } else {
        if (request.header("anthropic-version") == nullptr) {
          return "anthropic-version: header is required";
        }
        auto max_tokens = body.find("max_tokens");
        if (max_tokens == body.end() || !max_tokens->is_number_integer()) {
          return "max_tokens: Field required";
        }
        if (auto system = body.find("system"); system != body.end()) collect_text(*system, out);
      }
      for (const auto& message : *messages) {
        if (!message.is_object()) return "each message must be an object";
        if (auto content = message.find("content"); content != message.end()) {
          collect_text(*content, out);
        }
      }
      break;
    }
    case provider::gemini: {
      out.model = r.model;
      out.stream = r.gemini_stream;
      auto contents = body.find("contents");
      if (contents == body.end() || !contents->is_array()) return "'contents' must be an array";
      auto parts_of = [&out](const json& holder) {
        if (!holder.is_object()) return;
        if (auto parts = holder.find("parts"); parts != holder.end()) collect_text(*parts, out);
      };
      for (const auto* name : {"systemInstruction", "system_instruction"}) {
        if (auto si = body.find(name); si != body.end()) parts_of(*si);
      }
      for (const auto& content : *contents) parts_of(content);
      break;
    }
  }
  return std::nullopt;
}

std::string error_body(provider p, int status, std::string_view message) {
  std::string out;
  switch (p) {
    case provider::openai: {
      const auto kind = openai_kind(status);
      out = "{\"error\":{\"message\":" + json_quote(message) +
            ",\"type\":" + json_quote(kind.type) +
            ",\"param\":null,\"code\":" + (kind.code ? json_quote(kind.code) : "null") + "}}";
      break;
    }
    case provider::anthropic:
      out = "{\"type\":\"error\",\"error\":{\"type\":" + json_quote(anthropic_kind(status)) +
            ",\"message\":" + json_quote(message) + "}}";
      break;
    case provider::gemini:
      out = "{\"error\":{\"code\":" + std::to_string(status) +
            ",\"message\":" + json_quote(message) +
            ",\"status\":" + json_quote(gemini_kind(status)) + "}}";
      break;
  }
  return out;
}

std::string whole_body(const answer_info& a, std::string_view text) {
  std::string out;
  out.reserve(text.size() + 512);
  switch (a.kind) {
    case provider::openai:
      out = "{\"id\":" + json_quote(a.id) +
            ",\"object\":\"chat.completion\",\"created\":" + std::to_string(a.created) +
            ",\"model\":" + json_quote(a.model) +
            ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":" +
            json_quote(text) + ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}]";
      if (a.usage) out += ",\"usage\":" + openai_usage(a);
      out += ",\"system_fingerprint\":\"fp_fake\"}";
      break;
    case provider::anthropic:
      out = "{\"id\":" + json_quote(a.id) +
            ",\"type\":\"message\",\"role\":\"assistant\",\"model\":" + json_quote(a.model) +
            ",\"content\":[{\"type\":\"text\",\"text\":" + json_quote(text) +
            "}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null";
      if (a.usage) {
        out += ",\"usage\":{\"input_tokens\":" + std::to_string(a.prompt_tokens) +
               ",\"output_tokens\":" + std::to_string(a.completion_tokens) + "}";
      }
      out += "}";
      break;
    case provider::gemini:
      out = gemini_response(a, text, true);
      break;
  }
  return out;
}

std::string gemini_array_body(const answer_info& a, const std::vector<std::string>& chunks) {
  std::string out = "[";
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (i > 0) out += ",\r\n";
    out += gemini_response(a, chunks[i], i + 1 == chunks.size());
  }
  out += "]";
  return out;
}

std::string stream_begin(const answer_info& a) {
  switch (a.kind) {
    case provider::openai:
      return openai_chunk(a, "{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", nullptr);
    case provider::anthropic: {
      std::string start =
          "{\"type\":\"message_start\",\"message\":{\"id\":" + json_quote(a.id) +
          ",\"type\":\"message\",\"role\":\"assistant\",\"model\":" + json_quote(a.model) +
          ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null";
      if (a.usage) {
        start += ",\"usage\":{\"input_tokens\":" + std::to_string(a.prompt_tokens) +
                 ",\"output_tokens\":1}";
      }
      start += "}}";
      return anthropic_event("message_start", start) +
             anthropic_event("content_block_start",
                             "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{"
                             "\"type\":\"text\",\"text\":\"\"}}") +
             anthropic_event("ping", "{\"type\": \"ping\"}");
    }
    case provider::gemini:
      return {};
  }
  return {};
}

std::string stream_delta(const answer_info& a, std::string_view text, bool last) {
  std::string out;
  switch (a.kind) {
    case provider::openai:
      if (!text.empty() || !last) {
        out = openai_chunk(a, "{\"content\":" + json_quote(text) + "}", nullptr);
      }
      if (last) {
        out += openai_chunk(a, "{}", "stop");
        if (a.include_usage && a.usage) {
          out += "data: {\"id\":" + json_quote(a.id) +
                 ",\"object\":\"chat.completion.chunk\",\"created\":" + std::to_string(a.created) +
                 ",\"model\":" + json_quote(a.model) +
                 ",\"system_fingerprint\":\"fp_fake\",\"choices\":[],\"usage\":" + openai_usage(a) +
                 "}\n\n";
        }
        out += "data: [DONE]\n\n";
      }
      break;
    case provider::anthropic:
      if (!text.empty() || !last) {
        out = anthropic_event("content_block_delta",
                              "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                              "\"text_delta\",\"text\":" +
                                  json_quote(text) + "}}");
      }
      if (last) {
        out +=
            anthropic_event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
        std::string delta =
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":"
            "null}";
        if (a.usage)
          delta += ",\"usage\":{\"output_tokens\":" + std::to_string(a.completion_tokens) + "}";
        delta += "}";
        out += anthropic_event("message_delta", delta);
        out += anthropic_event("message_stop", "{\"type\":\"message_stop\"}");
      }
      break;
    case provider::gemini:
      // Gemini separates its events with CRLF CRLF.
      out = "data: " + gemini_response(a, text, last) + "\r\n\r\n";
      break;
  }
  return out;
}

std::string json_quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace fake_provider
