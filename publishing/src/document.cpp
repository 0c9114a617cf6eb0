#include "lekhika/publishing/document.hpp"

namespace lekhika::publishing {

// Placeholder until the cmark-gfm parser lands: one paragraph of the whole text.
document parse_markdown(std::string_view markdown) {
  document d;
  if (markdown.empty()) return d;
  block b;
  b.content.push_back(inline_node{inline_node::kind::text, std::string{markdown}, {}, {}});
  d.blocks.push_back(std::move(b));
  return d;
}

std::string plain_text(const inlines& content) {
  std::string out;
  for (const auto& node : content) {
    out += node.text;
    out += plain_text(node.children);
  }
  return out;
}

}  // namespace lekhika::publishing
