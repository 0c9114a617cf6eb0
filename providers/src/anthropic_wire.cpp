// Anthropic Messages (https://docs.anthropic.com/en/api/messages and .../messages-streaming).

#include <algorithm>
#include <utility>

#include "wire_internal.hpp"

namespace lekhika::providers::wire_detail {
namespace {

constexpr const char* api_version = "2023-06-01";

class anthropic_decoder final : public sse_decoder {
 protected:
  void on_event(const sse_parser::event& event) override {
    const json root = parse_json(event.data);
    if (!root.is_object()) {
      fail(make_error("invalid_response",
                      "anthropic sent a malformed stream event: " + quote(event.data), false));
      return;
    }
    // The JSON's own "type" is authoritative; the SSE event name repeats it.
    const std::string type = string_member(root, "type").value_or(event.type);
    if (type == "message_start") {
      const json* message = member(root, "message");
      if (message == nullptr) return;
      if (auto model = string_member(*message, "model")) model_ = *model;
      if (const json* usage = member(*message, "usage")) {
        token_usage start;
        start.input_tokens = count_member(*usage, "input_tokens").value_or(0);
        start.output_tokens = count_member(*usage, "output_tokens").value_or(0);
        usage_ = start;
      }
    } else if (type == "content_block_start") {
      const json* block = member(root, "content_block");
      if (block != nullptr && string_member(*block, "type") == "text")
        add_text(string_member(*block, "text").value_or(""));
    } else if (type == "content_block_delta") {
      const json* delta = member(root, "delta");
      // thinking_delta, signature_delta and input_json_delta are not answer text.
      if (delta != nullptr && string_member(*delta, "type") == "text_delta")
        add_text(string_member(*delta, "text").value_or(""));
    } else if (type == "message_delta") {
      if (const json* delta = member(root, "delta")) {
        if (auto reason = string_member(*delta, "stop_reason"))
          finish_reason_ = anthropic_finish_reason(*reason);
      }
      if (const json* usage = member(root, "usage")) {
        // Output tokens here are cumulative; newer API versions repeat input_tokens too.
        token_usage total = usage_.value_or(token_usage{});
        total.output_tokens = count_member(*usage, "output_tokens").value_or(total.output_tokens);
        total.input_tokens = count_member(*usage, "input_tokens").value_or(total.input_tokens);
        usage_ = total;
      }
    } else if (type == "message_stop") {
      complete_ = true;
    } else if (type == "error") {
      fail(stream_error(provider_type::anthropic, root));
    }
    // ping, content_block_stop and event types added later are ignored, as the docs ask.
  }
};

}  // namespace

std::string anthropic_finish_reason(std::string_view stop_reason) {
  if (stop_reason == "end_turn" || stop_reason == "stop_sequence") return "stop";
  if (stop_reason == "max_tokens") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "refusal") return "content_filter";
  return std::string{stop_reason};
}

http_call build_anthropic_call(const provider_config& provider, const completion_request& request,
                               bool stream) {
  http_call call;
  std::string base = trim_base_url(provider.base_url);
  if (!base.ends_with("/v1")) base += "/v1";
  call.url = base + "/messages";
  if (!provider.api_key.empty()) {
    call.headers.push_back({"x-api-key", provider.api_key.reveal(), true});
  }
  call.headers.push_back({"anthropic-version", api_version, false});
  call.headers.push_back({"content-type", "application/json", false});
  call.headers.push_back({"accept", stream ? "text/event-stream" : "application/json", false});

  json body = {{"model", model_for(provider, request)},
               {"max_tokens", request.max_tokens},
               {"messages", json::array({{{"role", "user"}, {"content", request.user}}})},
               // Anthropic accepts 0..1 and answers 400 above; workflows use OpenAI's 0..2 scale.
               {"temperature", std::clamp(request.temperature, 0.0, 1.0)},
               {"stream", stream}};
  if (!request.system.empty()) body["system"] = request.system;
  call.body = dump_json(body);
  return call;
}

result<completion> parse_anthropic_response(std::string_view body) {
  constexpr auto type = provider_type::anthropic;
  const json root = parse_json(body);
  if (!root.is_object()) return invalid_response(type, "is not a JSON object", body);
  if (string_member(root, "type") == "error") {
    provider_error parsed = stream_error(type, root);
    return failure{parsed.code, parsed.message};
  }
  const json* content = member(root, "content");
  if (content == nullptr || !content->is_array())
    return invalid_response(type, "has no content array", body);

  completion out;
  out.provider = to_string(type);
  out.model = string_member(root, "model").value_or("");
  out.finish_reason = anthropic_finish_reason(string_member(root, "stop_reason").value_or(""));
  for (const auto& block : *content) {
    if (string_member(block, "type") != "text") continue;  // thinking, tool_use, ...
    auto text = string_member(block, "text");
    if (!text) return invalid_response(type, "has a text block without text", body);
    out.text += *text;
  }
  if (out.text.empty() && out.finish_reason == "content_filter")
    return failure{"content_filter", "anthropic refused to answer"};
  if (const json* usage = member(root, "usage"); usage != nullptr && usage->is_object()) {
    out.usage.input_tokens = count_member(*usage, "input_tokens").value_or(0);
    out.usage.output_tokens = count_member(*usage, "output_tokens").value_or(0);
  } else {
    // The prompt is not known here, so only the output can be estimated; input stays 0.
    out.usage.output_tokens = estimate_tokens(out.text.size());
    out.usage.estimated = true;
  }
  return out;
}

std::unique_ptr<stream_decoder> make_anthropic_decoder() {
  return std::make_unique<anthropic_decoder>();
}

}  // namespace lekhika::providers::wire_detail
