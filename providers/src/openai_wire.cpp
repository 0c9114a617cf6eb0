// OpenAI chat completions, also spoken by Mistral, xAI, Perplexity, OpenRouter and Ollama
// (https://platform.openai.com/docs/api-reference/chat).

#include <utility>

#include "wire_internal.hpp"

namespace lekhika::providers::wire_detail {
namespace {

// Mistral's API rejects unknown body fields ("extra_forbidden") and, like Perplexity, reports
// usage in its last chunk without being asked; the others need stream_options for usage.
bool wants_stream_options(provider_type type) {
  return type != provider_type::mistral && type != provider_type::perplexity;
}

token_usage usage_from(const json& usage) {
  token_usage out;
  out.input_tokens = count_member(usage, "prompt_tokens").value_or(0);
  out.output_tokens = count_member(usage, "completion_tokens").value_or(0);
  return out;
}

class openai_decoder final : public sse_decoder {
 public:
  explicit openai_decoder(provider_type type) : type_(type) {}

 protected:
  void on_event(const sse_parser::event& event) override {
    std::string_view data = event.data;
    while (!data.empty() && (data.back() == ' ' || data.back() == '\t')) data.remove_suffix(1);
    if (data.empty()) return;
    if (data == "[DONE]") {
      complete_ = true;
      return;
    }
    const json chunk = parse_json(data);
    if (!chunk.is_object()) {
      fail(make_error(
          "invalid_response",
          std::string{to_string(type_)} + " sent a malformed stream chunk: " + quote(data), false));
      return;
    }
    if (member(chunk, "error") != nullptr) {  // OpenRouter and others report failures in-band
      fail(stream_error(type_, chunk));
      return;
    }
    if (auto model = string_member(chunk, "model"); model && !model->empty()) model_ = *model;
    if (const json* choice = first_element(chunk, "choices")) {
      if (const json* delta = member(*choice, "delta")) {
        if (auto content = string_member(*delta, "content")) add_text(*content);
      }
      if (auto reason = string_member(*choice, "finish_reason"); reason && !reason->empty())
        finish_reason_ = *reason;
    }
    // Usage is null in every chunk but the last one (stream_options.include_usage).
    if (const json* usage = member(chunk, "usage"); usage != nullptr && usage->is_object())
      usage_ = usage_from(*usage);
  }

  void on_end() override {
    // Perplexity (and some other compatible servers) never send [DONE]
    // (github.com/perplexityai/api-discussion/issues/209); a body that ended cleanly after a
    // finish reason holds the whole text, while one cut before it is still "ended early".
    if (!finish_reason_.empty()) complete_ = true;
  }

 private:
  provider_type type_;
};

}  // namespace

http_call build_openai_call(const provider_config& provider, const completion_request& request,
                            bool stream) {
  http_call call;
  std::string base = trim_base_url(provider.base_url);
  // Ollama's documented base URL is the server root; its OpenAI-compatible API is under /v1.
  if (provider.type == provider_type::ollama && !base.ends_with("/v1")) base += "/v1";
  call.url = base + "/chat/completions";
  if (!provider.api_key.empty()) {
    call.headers.push_back({"Authorization", "Bearer " + provider.api_key.reveal(), true});
  }
  call.headers.push_back({"Content-Type", "application/json", false});
  call.headers.push_back({"Accept", stream ? "text/event-stream" : "application/json", false});

  json messages = json::array();
  if (!request.system.empty())
    messages.push_back({{"role", "system"}, {"content", request.system}});
  messages.push_back({{"role", "user"}, {"content", request.user}});
  json body = {{"model", model_for(provider, request)},
               {"messages", std::move(messages)},
               {"temperature", request.temperature},
               // OpenAI now prefers max_completion_tokens (and requires it for o-series
               // models), but every compatible server accepts max_tokens while few know the
               // new name, so one body serves the whole family.
               {"max_tokens", request.max_tokens},
               {"stream", stream}};
  if (stream && wants_stream_options(provider.type)) {
    body["stream_options"] = {{"include_usage", true}};
  }
  call.body = dump_json(body);
  return call;
}

result<completion> parse_openai_response(provider_type type, std::string_view body) {
  const json root = parse_json(body);
  if (!root.is_object()) return invalid_response(type, "is not a JSON object", body);
  // Some compatible servers (OpenRouter) answer 200 with an error object.
  if (const json* error = member(root, "error"); error != nullptr && !error->is_null()) {
    provider_error parsed = stream_error(type, root);
    return failure{parsed.code, parsed.message};
  }
  const json* choice = first_element(root, "choices");
  if (choice == nullptr) return invalid_response(type, "has no choices", body);

  completion out;
  out.provider = to_string(type);
  out.model = string_member(root, "model").value_or("");
  out.finish_reason = string_member(*choice, "finish_reason").value_or("");
  const json* message = member(*choice, "message");
  auto content = message != nullptr ? string_member(*message, "content") : std::nullopt;
  if (!content) {
    if (out.finish_reason == "content_filter" ||
        (message != nullptr && string_member(*message, "refusal"))) {
      return failure{"content_filter", std::string{to_string(type)} + " refused to answer"};
    }
    return invalid_response(type, "has no choices[0].message.content", body);
  }
  out.text = std::move(*content);
  if (const json* usage = member(root, "usage"); usage != nullptr && usage->is_object()) {
    out.usage = usage_from(*usage);
  } else {
    // The prompt is not known here, so only the output can be estimated; input stays 0.
    out.usage.output_tokens = estimate_tokens(out.text.size());
    out.usage.estimated = true;
  }
  return out;
}

std::unique_ptr<stream_decoder> make_openai_decoder(provider_type type) {
  return std::make_unique<openai_decoder>(type);
}

}  // namespace lekhika::providers::wire_detail
