#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "lekhika/workflow/manuscript.hpp"
#include "lekhika/workflow/model.hpp"

namespace lekhika::workflow {

/// Upper bound of upstream text appended to a prompt that names none of its inputs.
inline constexpr std::size_t max_upstream_chars = 24000;

/// The text one direct upstream node delivered along an edge.
struct upstream_text {
  std::string node_id;
  std::string text;
};

/// Chapter variables while a writer (or reviser) works on chapter `current` of `total`.
struct chapter_call {
  int current = 1;
  int total = 1;
  std::string title;              ///< planned title, may be empty
  std::vector<chapter> previous;  ///< chapters already written, in order
};

/// Everything a prompt of one model call may draw on.
struct prompt_context {
  const nlohmann::json* user_input = nullptr;  ///< sanitised input (sanitize_user_input)
  std::vector<upstream_text> upstream;         ///< direct upstream outputs, newest first
  std::string outline;                         ///< outline of the nearest structural ancestor
  std::optional<chapter_call> chapter;         ///< set for per-chapter calls
  std::optional<std::string> text_to_revise;   ///< set for revisers: the text they revise
};

/// The two messages of a model call, and the placeholders that could not be filled.
struct built_prompt {
  std::string system;
  std::string user;
  std::vector<std::string> warnings;  ///< e.g. "placeholder {research_data} not provided"
};

/// Builds the system and user messages for `n` (workflow.md "Prompt templates"):
/// renders both templates with the lookup order {<upstream id>}, {previous_node_output},
/// {outline}, chapter variables, then user input; appends the upstream text (bounded, newest
/// first) when the prompt names none of it; appends the outline and the chapter directive for
/// chapter calls and the text to revise for revisers. A node with empty prompts gets a
/// role-appropriate default instruction so that a model call is never empty.
[[nodiscard]] built_prompt build_prompt(const node& n, const prompt_context& context);

}  // namespace lekhika::workflow
