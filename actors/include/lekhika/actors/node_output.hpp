#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lekhika/providers/completion.hpp"
#include "lekhika/workflow/manuscript.hpp"
#include "lekhika/workflow/roles.hpp"

namespace lekhika::actors {

/// The book as it stands at some point of the graph; shared, never copied along edges.
struct manuscript {
  std::string node_id;  ///< the node that wrote or last revised it
  std::vector<workflow::chapter> chapters;
};

/// The outline a structural node produced; writers downstream receive it.
struct outline {
  std::string node_id;
  std::string text;
};

/// Tokens, calls and cost of a node (or an execution).
struct usage_totals {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t calls = 0;
  double cost_usd = 0.0;
  bool estimated = false;  ///< some counts were estimated (provider reported none)
  std::int64_t words = 0;  ///< words of generated text

  usage_totals& operator+=(const usage_totals& other);
  /// {inputTokens, outputTokens, totalTokens, costUsd, calls, words[, estimated]}
  [[nodiscard]] nlohmann::json to_json() const;
};

/// What a finished node delivers along its outgoing edges. Immutable once sent.
struct node_output {
  std::string node_id;
  workflow::role_kind kind = workflow::role_kind::generic;
  std::string text;                                   ///< what downstream prompts see
  std::shared_ptr<const actors::manuscript> book;     ///< latest manuscript upstream (may be null)
  std::shared_ptr<const actors::outline> plan;        ///< nearest structural outline (may be null)
  nlohmann::json details = nlohmann::json::object();  ///< condition decision, book output, ...
  std::vector<std::string> warnings;
  std::string model;  ///< model that answered (process nodes)
  std::string provider;
  /// Output node: the text formats' content by format, for the caller's answer (not stored
  /// in the checkpoint; the files hold it).
  std::shared_ptr<const std::map<std::string, std::string>> inline_text;
};

using node_output_ptr = std::shared_ptr<const node_output>;

/// The books arriving at a node from its inputs, as the node sees one book: none, the one
/// (when several paths carry the same book), or parallel writers' books joined in input order
/// and renumbered, attributed to `joiner`.
[[nodiscard]] std::shared_ptr<const manuscript> merge_books(
    const std::vector<std::shared_ptr<const manuscript>>& books, const std::string& joiner);

/// A manuscript as the text downstream prompts see ("Chapter N: Title" and the content).
[[nodiscard]] std::string manuscript_text(const manuscript& m);

/// The usage of one answered call: its tokens and cost, one call, the words of its text.
[[nodiscard]] usage_totals usage_of(const providers::completion& answer);

}  // namespace lekhika::actors
