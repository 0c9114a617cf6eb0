#include "lekhika/workflow/roles.hpp"

#include <array>
#include <string>
#include <utility>

#include "lekhika/workflow/text.hpp"

namespace lekhika::workflow {
namespace {

using k = role_kind;

// NODE_ROLE_CONFIG of Lekhika's node palette, in its order. Permissions, nominal max tokens and
// temperature are the table's values; `kind` is our reading of what the role does at run time
// (workflow.md), which is why plot_architect is structural although the table gives it no
// structure permission.
constexpr std::array<role_info, 31> role_table{{
    {"universal_input", false, false, false, 0, 0.0, k::input},
    {"story_input", false, false, false, 0, 0.0, k::input},
    {"business_input", false, false, false, 0, 0.0, k::input},
    {"researcher", false, false, false, 3000, 0.3, k::planner},
    {"market_analyst", false, false, false, 2500, 0.4, k::planner},
    {"fact_checker", false, false, false, 2000, 0.2, k::planner},
    {"world_builder", false, false, false, 4000, 0.7, k::planner},
    {"character_developer", false, false, false, 3500, 0.6, k::planner},
    {"plot_architect", false, false, false, 3000, 0.5, k::structural},
    {"content_writer", true, false, false, 8000, 0.7, k::writer},
    {"technical_writer", true, false, false, 7000, 0.5, k::writer},
    {"copywriter", true, false, false, 6000, 0.6, k::writer},
    {"story_outliner", false, true, false, 3000, 0.7, k::structural},
    {"narrative_architect", false, true, false, 3000, 0.7, k::structural},
    {"content_architect", false, true, false, 3000, 0.7, k::structural},
    {"end_to_end_polisher", false, true, false, 3000, 0.7, k::reviser},
    {"editor", false, true, true, 6000, 0.3, k::reviser},
    {"quality_checker", false, false, true, 2000, 0.2, k::reviser},
    {"proofreader", false, false, true, 1500, 0.1, k::reviser},
    {"preference_router", false, false, false, 0, 0.0, k::condition},
    {"content_type_router", false, false, false, 0, 0.0, k::condition},
    {"quality_gate", false, false, false, 1000, 0.2, k::condition},
    {"chapter_previewer", false, false, false, 0, 0.0, k::preview},
    {"content_previewer", false, false, false, 0, 0.0, k::preview},
    {"final_previewer", false, false, false, 0, 0.0, k::preview},
    {"audiobook_previewer", false, false, false, 5000, 0.5, k::preview},
    {"output_processor", false, false, false, 0, 0.0, k::output},
    {"audiobook_output", false, false, false, 15000, 0.5, k::output},
    {"multi_format_output", false, false, false, 0, 0.0, k::output},
    {"image_generator", false, false, false, 500, 0.8, k::image},
    {"ecover_generator", false, false, false, 500, 0.8, k::image},
}};

// Keys of NODE_PALETTES that differ from the role they create.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> palette_aliases{{
    {"user_preference_router", "preference_router"},
    {"chapter_preview", "chapter_previewer"},
    {"content_preview", "content_previewer"},
    {"final_preview", "final_previewer"},
    {"audiobook_preview", "audiobook_previewer"},
    {"image_generator_general", "image_generator"},
    {"image_generator_character", "image_generator"},
}};

bool is_process_kind(role_kind kind) noexcept {
  return kind == k::planner || kind == k::structural || kind == k::writer || kind == k::reviser ||
         kind == k::image;
}

// "Fantasy World-Builder" -> " fantasy world builder ": lower case, separators as single spaces,
// padded so that word-boundary tests can search for " word ".
std::string normalise_label(std::string_view label) {
  std::string out = " ";
  for (char c : to_lower(label)) {
    const bool separator = c == '-' || c == '_' || c == ' ' || c == '\t' || c == '(' || c == ')' ||
                           c == '.' || c == ',' || c == ':' || c == '/';
    if (separator) {
      if (out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  if (out.back() != ' ') out.push_back(' ');
  return out;
}

bool has(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

std::span<const role_info> all_roles() noexcept { return role_table; }

const role_info* find_role(std::string_view name) noexcept {
  for (const auto& [alias, role] : palette_aliases) {
    if (alias == name) {
      name = role;
      break;
    }
  }
  for (const auto& info : role_table) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::optional<std::string_view> infer_role_from_label(std::string_view label) {
  const std::string text = normalise_label(label);
  if (trim(text).empty()) return std::nullopt;

  // A label that names a process role outright ("Narrative Architect", "Image Generator") means
  // that role. The original skipped this and sent such nodes through its keyword list below,
  // which turns a narrative architect into a writer. The longest matching name wins, and the
  // flow editor's spelling "E-Cover Generator" counts as ecover_generator.
  const role_info* best = nullptr;
  for (const auto& info : role_table) {
    if (!is_process_kind(info.kind)) continue;
    std::string spaced = " ";
    for (char c : info.name) spaced.push_back(c == '_' ? ' ' : c);
    spaced.push_back(' ');
    if (has(text, spaced) && (best == nullptr || info.name.size() > best->name.size())) {
      best = &info;
    }
  }
  if (has(text, " e cover generator ") || has(text, " ecover ") || has(text, " e cover ")) {
    return std::string_view{"ecover_generator"};
  }
  if (best != nullptr) return best->name;

  // The original worker's keyword order (original-worker.md §2.3).
  if (has(text, "world building") || has(text, "worldbuilding") ||
      has(text, "character development")) {
    return std::string_view{"world_builder"};
  }
  if (has(text, "plot") || has(text, "story structure")) return std::string_view{"plot_architect"};
  if (has(text, "story architect") || has(text, "story outline")) {
    return std::string_view{"story_outliner"};
  }
  if (has(text, "editor") || has(text, "proofread")) return std::string_view{"editor"};
  for (std::string_view word : {"writer", "author", "creator", "chapter", "content", "narrative",
                                "story", "generate", "create"}) {
    if (has(text, word)) return std::string_view{"content_writer"};
  }
  return std::nullopt;
}

}  // namespace lekhika::workflow
