#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lekhika::workflow {

/// What a node does at run time; derived from its type and role.
enum class role_kind {
  input,       ///< input node: no model call, outputs the user input
  planner,     ///< researcher, world builder, ...: one call, its text flows downstream
  structural,  ///< story_outliner, narrative/content/plot architect: one call producing the outline
  writer,      ///< content/technical writer, copywriter: writes the book (N chapters)
  reviser,     ///< editor, proofreader, quality checker, polisher: revises the text it receives
  image,       ///< image_generator, ecover_generator: image model; skipped when none
  condition,   ///< condition node: routes, no model call
  preview,     ///< preview node: one call drafting a sample, optional approval
  output,      ///< output node: compiles and exports the book
  generic,     ///< a process node with no known role: one call, treated like a planner
};

/// `"writer"`, `"reviser"`, ...
[[nodiscard]] const char* to_string(role_kind kind) noexcept;

/// One row of Lekhika's role table (node-palettes.json NODE_ROLE_CONFIG).
struct role_info {
  std::string_view name;
  bool can_write_content = false;
  bool can_edit_structure = false;
  bool can_proofread = false;
  int max_tokens = 0;        ///< nominal max tokens (0: no model call)
  double temperature = 0.0;  ///< nominal temperature
  role_kind kind = role_kind::generic;
};

/// All 31 roles, in the order of the original table.
[[nodiscard]] std::span<const role_info> all_roles() noexcept;

/// The role named `name` (exact, lower-case snake_case), if it is in the table.
/// Palette aliases are accepted too (e.g. "user_preference_router", "chapter_preview").
[[nodiscard]] const role_info* find_role(std::string_view name) noexcept;

/// The role the original worker infers from a node label when `role` is missing
/// (original-worker.md §2.3), e.g. "Plot Architect" -> "plot_architect".
[[nodiscard]] std::optional<std::string_view> infer_role_from_label(std::string_view label);

}  // namespace lekhika::workflow
