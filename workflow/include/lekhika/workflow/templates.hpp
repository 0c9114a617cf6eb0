#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lekhika::workflow {

/// Resolves one placeholder name; nullopt when the name is unknown.
using template_lookup = std::function<std::optional<std::string>(std::string_view name)>;

/// A rendered template and what it could not fill.
struct rendered_template {
  std::string text;
  std::vector<std::string> missing;  ///< names rendered as "[name not provided]"
  std::vector<std::string> used;     ///< names that were found, in order of first use
};

/// Replaces single-brace `{name}` placeholders; `{{name}}` is literal text (kept as written).
/// A name the lookup does not know renders as "[name not provided]" and is listed in `missing`.
[[nodiscard]] rendered_template render_template(std::string_view text,
                                                const template_lookup& lookup);

}  // namespace lekhika::workflow
