// Gemini generateContent / streamGenerateContent?alt=sse
// (https://ai.google.dev/api/generate-content).

#include <utility>

#include "wire_internal.hpp"

namespace lekhika::providers::wire_detail {
namespace {

// A model id as one URL path segment: unreserved characters stay, everything else is
// percent-encoded (so "a/b" cannot reach another endpoint).
std::string escape_path_segment(std::string_view segment) {
  constexpr const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const char c : segment) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(hex[byte >> 4U]);
      out.push_back(hex[byte & 0x0FU]);
    }
  }
  return out;
}

token_usage usage_from(const json& metadata) {
  token_usage out;
  out.input_tokens = count_member(metadata, "promptTokenCount").value_or(0);
  // Thinking models bill their thoughts as output tokens, reported apart from the answer's.
  out.output_tokens = count_member(metadata, "candidatesTokenCount").value_or(0) +
                      count_member(metadata, "thoughtsTokenCount").value_or(0);
  return out;
}

// The answer text of a candidate; thought summaries (parts with "thought": true) are not part
// of it. nullopt when the candidate has no parts at all.
std::optional<std::string> candidate_text(const json& candidate) {
  const json* content = member(candidate, "content");
  const json* parts = content != nullptr ? member(*content, "parts") : nullptr;
  if (parts == nullptr || !parts->is_array()) return std::nullopt;
  std::string text;
  for (const auto& part : *parts) {
    if (const json* thought = member(part, "thought");
        thought != nullptr && thought->is_boolean() && thought->get<bool>())
      continue;
    if (auto piece = string_member(part, "text")) text += *piece;
  }
  return text;
}

// "prompt blocked" when the prompt itself was refused (no candidates at all).
std::optional<std::string> prompt_block_reason(const json& root) {
  const json* feedback = member(root, "promptFeedback");
  if (feedback == nullptr) return std::nullopt;
  return string_member(*feedback, "blockReason");
}

class gemini_decoder final : public sse_decoder {
 protected:
  void on_event(const sse_parser::event& event) override {
    const json chunk = parse_json(event.data);
    if (!chunk.is_object()) {
      fail(make_error("invalid_response",
                      "gemini sent a malformed stream chunk: " + quote(event.data), false));
      return;
    }
    if (member(chunk, "error") != nullptr) {
      fail(stream_error(provider_type::gemini, chunk));
      return;
    }
    if (auto model = string_member(chunk, "modelVersion"); model && !model->empty())
      model_ = *model;
    // Usage comes with most chunks and grows; the last one is the total.
    if (const json* usage = member(chunk, "usageMetadata"); usage != nullptr && usage->is_object())
      usage_ = usage_from(*usage);
    const json* candidate = first_element(chunk, "candidates");
    if (candidate == nullptr) {
      if (auto blocked = prompt_block_reason(chunk))
        fail(make_error("content_filter", "gemini blocked the prompt: " + quote(*blocked), false));
      return;
    }
    if (auto text = candidate_text(*candidate)) add_text(*text);
    auto reason = string_member(*candidate, "finishReason");
    if (!reason || reason->empty() || *reason == "FINISH_REASON_UNSPECIFIED") return;
    finish_reason_ = gemini_finish_reason(*reason);
    complete_ = true;
    if (finish_reason_ == "content_filter" && text_.empty()) {
      fail(make_error("content_filter", "gemini blocked the answer: " + quote(*reason), false));
    }
  }
};

}  // namespace

std::string gemini_finish_reason(std::string_view reason) {
  if (reason == "STOP") return "stop";
  if (reason == "MAX_TOKENS") return "length";
  if (reason == "SAFETY" || reason == "RECITATION" || reason == "BLOCKLIST" ||
      reason == "PROHIBITED_CONTENT" || reason == "SPII" || reason == "IMAGE_SAFETY")
    return "content_filter";
  std::string out{reason};  // OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, ...
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

http_call build_gemini_call(const provider_config& provider, const completion_request& request,
                            bool stream) {
  http_call call;
  std::string model = model_for(provider, request);
  if (model.starts_with("models/")) model.erase(0, 7);  // the API's resource name form
  call.url = trim_base_url(provider.base_url) + "/v1beta/models/" + escape_path_segment(model) +
             (stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
  // The key goes in a header, not in "?key=", so the URL can be logged whole.
  if (!provider.api_key.empty()) {
    call.headers.push_back({"x-goog-api-key", provider.api_key.reveal(), true});
  }
  call.headers.push_back({"Content-Type", "application/json", false});
  call.headers.push_back({"Accept", stream ? "text/event-stream" : "application/json", false});

  json body = {
      {"contents",
       json::array({{{"role", "user"}, {"parts", json::array({{{"text", request.user}}})}}})},
      {"generationConfig",
       {{"temperature", request.temperature}, {"maxOutputTokens", request.max_tokens}}}};
  if (!request.system.empty()) {
    body["systemInstruction"] = {{"parts", json::array({{{"text", request.system}}})}};
  }
  call.body = dump_json(body);
  return call;
}

result<completion> parse_gemini_response(std::string_view body) {
  constexpr auto type = provider_type::gemini;
  const json root = parse_json(body);
  if (!root.is_object()) return invalid_response(type, "is not a JSON object", body);
  if (member(root, "error") != nullptr) {
    provider_error parsed = stream_error(type, root);
    return failure{parsed.code, parsed.message};
  }
  const json* candidate = first_element(root, "candidates");
  if (candidate == nullptr) {
    if (auto blocked = prompt_block_reason(root))
      return failure{"content_filter", "gemini blocked the prompt: " + quote(*blocked)};
    return invalid_response(type, "has no candidates", body);
  }

  completion out;
  out.provider = to_string(type);
  out.model = string_member(root, "modelVersion").value_or("");
  const auto reason = string_member(*candidate, "finishReason");
  out.finish_reason = reason ? gemini_finish_reason(*reason) : std::string{};
  auto text = candidate_text(*candidate);
  if (out.finish_reason == "content_filter" && (!text || text->empty()))
    return failure{"content_filter", "gemini blocked the answer: " + quote(reason.value_or(""))};
  // A candidate without parts is a valid answer only when it says why it stopped (a thinking
  // model can spend all of maxOutputTokens on thoughts: MAX_TOKENS and no text).
  if (!text && !reason) return invalid_response(type, "has no candidates[0].content.parts", body);
  out.text = text.value_or("");
  if (const json* usage = member(root, "usageMetadata"); usage != nullptr && usage->is_object()) {
    out.usage = usage_from(*usage);
  } else {
    // The prompt is not known here, so only the output can be estimated; input stays 0.
    out.usage.output_tokens = estimate_tokens(out.text.size());
    out.usage.estimated = true;
  }
  return out;
}

std::unique_ptr<stream_decoder> make_gemini_decoder() { return std::make_unique<gemini_decoder>(); }

}  // namespace lekhika::providers::wire_detail
