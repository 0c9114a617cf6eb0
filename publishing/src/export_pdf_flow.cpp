// PDF exporter, step 1 of 4: the book becomes sections of styled elements (no pango here).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "export_detail.hpp"
#include "export_pdf_model.hpp"
#include "text_util.hpp"

namespace lekhika::publishing::detail::pdf {
namespace {

constexpr double points_per_mm = 72.0 / 25.4;

// Explicit fallbacks: without them fontconfig picks whatever covers the script on this machine
// (Lohit instead of Noto for Devanagari once fonts-lohit-deva is installed), so the same book
// would look different on another host. Arabic and Hebrew are listed for right-to-left text.
// CJK fonts are named for hosts that install fonts-noto-cjk; fontconfig skips absent families.
constexpr std::string_view serif_fallback =
    "Noto Serif,Noto Serif Devanagari,Noto Naskh Arabic,Noto Serif Hebrew,Noto Serif CJK SC,"
    "DejaVu Serif";
constexpr std::string_view sans_fallback =
    "Noto Sans,Noto Sans Devanagari,Noto Sans Arabic,Noto Sans Hebrew,Noto Sans CJK SC,"
    "DejaVu Sans";
constexpr std::string_view mono_fallback =
    "DejaVu Sans Mono,Noto Sans Devanagari,Noto Sans Arabic,Noto Sans Hebrew,Noto Sans CJK SC,"
    "DejaVu Sans";

// Limits on what a form can ask for: a family list is a handful of short names.
constexpr std::size_t max_families = 6;
constexpr std::size_t max_family_name = 64;

// Nesting beyond this is flattened into the deepest level (a model or a hostile input can nest
// quotes thousands deep; the recursion and the indentation both need a bound).
constexpr int max_depth = 24;

[[nodiscard]] double sane(double value, double low, double high, double fallback) noexcept {
  if (!std::isfinite(value)) return fallback;
  return std::clamp(value, low, high);
}

[[nodiscard]] double in_range_or(double value, double low, double high, double fallback) noexcept {
  return std::isfinite(value) && value >= low && value <= high ? value : fallback;
}

enum class generic : std::uint8_t { unspecified, serif, sans, mono };

// A CSS-like family list ("Georgia, 'Times New Roman', serif") as a pango family list with the
// fallbacks appended. Generic names choose which fallbacks; unknown names are kept, since
// fontconfig skips families that are not installed.
[[nodiscard]] std::string family_list(std::string_view css, generic default_generic) {
  std::vector<std::string> names;
  generic chosen = generic::unspecified;
  for (std::string& name : font_family_names(css)) {
    if (name.size() > max_family_name) continue;
    const std::string lowered = to_lower_ascii(name);
    if (lowered == "serif" || lowered == "ui-serif") {
      if (chosen == generic::unspecified) chosen = generic::serif;
    } else if (lowered == "sans-serif" || lowered == "sans" || lowered == "system-ui" ||
               lowered == "ui-sans-serif") {
      if (chosen == generic::unspecified) chosen = generic::sans;
    } else if (lowered == "monospace" || lowered == "ui-monospace") {
      if (chosen == generic::unspecified) chosen = generic::mono;
    } else if (lowered != "cursive" && lowered != "fantasy" && lowered != "emoji" &&
               lowered != "math" && lowered != "ui-rounded" && names.size() < max_families) {
      names.push_back(std::move(name));
    }
  }
  if (chosen == generic::unspecified) chosen = default_generic;
  std::string out;
  for (const auto& name : names) {
    out += name;
    out += ',';
  }
  out += chosen == generic::sans   ? sans_fallback
         : chosen == generic::mono ? mono_fallback
                                   : serif_fallback;
  return out;
}

// Only links a reader can follow from a book; anything else stays plain text.
[[nodiscard]] bool followable(std::string_view url) {
  const std::string lowered = to_lower_ascii(url.substr(0, 8));
  return lowered.starts_with("https://") || lowered.starts_with("http://") ||
         lowered.starts_with("mailto:");
}

// cairo 1.16 copies a link's URI into the PDF string as it is (a lone ')' would end the
// string early), so everything but plain URI characters is percent-encoded first.
[[nodiscard]] std::string safe_uri(std::string_view url) {
  constexpr std::size_t max_uri = 2048;
  url = trim(url);
  if (url.empty() || url.size() > max_uri || !followable(url)) return {};
  constexpr std::string_view allowed = "-._~:/?#[]@!$&*+,;=%";
  constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        allowed.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 0xF];
    }
  }
  return out;
}

// Builds rich text from inlines without recursion (inline nesting depth is up to the input).
class rich_builder {
 public:
  void add_inlines(const inlines& content, std::uint8_t flags) {
    struct frame {
      const inlines* nodes;
      std::size_t next;
      std::uint8_t flags;
      std::size_t link;
    };
    std::vector<frame> stack;
    stack.push_back(frame{&content, 0, flags, none});
    while (!stack.empty()) {
      frame& top = stack.back();
      if (top.next == top.nodes->size()) {
        if (top.link != none) out_.links[top.link].end = out_.text.size();
        stack.pop_back();
        continue;
      }
      const inline_node& node = (*top.nodes)[top.next++];
      const std::uint8_t f = top.flags;
      switch (node.type) {
        case inline_node::kind::text:
          add_text(node.text, f);
          break;
        case inline_node::kind::code:
          add_text(node.text, f | run_code);
          break;
        case inline_node::kind::emphasis:
          stack.push_back(
              frame{&node.children, 0, static_cast<std::uint8_t>(f | run_italic), none});
          break;
        case inline_node::kind::strong:
          stack.push_back(frame{&node.children, 0, static_cast<std::uint8_t>(f | run_bold), none});
          break;
        case inline_node::kind::link: {
          std::string uri = safe_uri(node.url);
          if (node.children.empty()) {
            // An autolink: the address is the text.
            add_link(node.url, uri, f);
            break;
          }
          std::size_t link = none;
          auto link_flags = f;
          if (!uri.empty()) {
            link = out_.links.size();
            out_.links.push_back(text_link{out_.text.size(), out_.text.size(), std::move(uri)});
            link_flags = static_cast<std::uint8_t>(f | run_link);
          }
          stack.push_back(frame{&node.children, 0, link_flags, link});
          break;
        }
        // A newline ends a paragraph of the pango layout: the line before it is not justified
        // (U+2028 would stretch every line of a poem across the page).
        case inline_node::kind::line_break:
          add_raw("\n", f);
          break;
        case inline_node::kind::soft_break:
          add_raw(" ", f);
          break;
      }
    }
  }

  // Text as it is, with control characters made spaces (newlines and tabs kept only for code,
  // where they are the layout) and invalid UTF-8 repaired, since pango rejects it.
  void add_text(std::string_view text, std::uint8_t flags, bool keep_lines = false) {
    std::string clean;
    clean.reserve(text.size());
    for (char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7F) {
        if (keep_lines && (c == '\n' || c == '\t')) {
          clean += c;
        } else if (c != '\r' && c != '\0') {
          clean += ' ';
        }
        continue;
      }
      clean += c;
    }
    repair_utf8(clean);
    add_raw(clean, flags);
  }

  [[nodiscard]] rich_text take() { return std::move(out_); }
  [[nodiscard]] bool empty() const noexcept { return out_.text.empty(); }

 private:
  void add_link(std::string_view shown, std::string uri, std::uint8_t flags) {
    const std::size_t start = out_.text.size();
    if (uri.empty()) {
      add_text(shown, flags);
      return;
    }
    add_text(shown, static_cast<std::uint8_t>(flags | run_link));
    out_.links.push_back(text_link{start, out_.text.size(), std::move(uri)});
  }

  void add_raw(std::string_view text, std::uint8_t flags) {
    if (text.empty()) return;
    const std::size_t start = out_.text.size();
    out_.text.append(text);
    if (flags == 0) return;
    if (!out_.runs.empty() && out_.runs.back().end == start && out_.runs.back().flags == flags) {
      out_.runs.back().end = out_.text.size();
    } else {
      out_.runs.push_back(text_run{start, out_.text.size(), flags});
    }
  }

  rich_text out_;
};

[[nodiscard]] rich_text plain(std::string_view text) {
  rich_builder builder;
  builder.add_text(text, 0);
  return builder.take();
}

[[nodiscard]] rich_text rich(const inlines& content) {
  rich_builder builder;
  builder.add_inlines(content, 0);
  return builder.take();
}

// The whole text of blocks nested deeper than max_depth, one paragraph, gathered without
// recursion.
[[nodiscard]] rich_text flattened(const std::vector<block>& blocks) {
  rich_builder builder;
  std::vector<const block*> pending;
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) pending.push_back(&*it);
  while (!pending.empty()) {
    const block* b = pending.back();
    pending.pop_back();
    if (!builder.empty()) builder.add_text(" ", 0);
    builder.add_inlines(b->content, 0);
    builder.add_text(b->text, 0);
    for (const auto& row : b->rows) {
      for (const auto& cell : row) {
        builder.add_text(" ", 0);
        builder.add_inlines(cell, 0);
      }
    }
    for (auto it = b->children.rbegin(); it != b->children.rend(); ++it) pending.push_back(&*it);
    for (auto item = b->items.rbegin(); item != b->items.rend(); ++item) {
      for (auto it = item->rbegin(); it != item->rend(); ++it) pending.push_back(&*it);
    }
  }
  return builder.take();
}

// The shallowest heading level a document uses (so "## Part" becomes the first level below
// the chapter heading whether the model wrote "#" or "##"); 1 when there is none.
[[nodiscard]] int top_heading_level(const std::vector<block>& blocks) {
  int top = 7;
  for (const auto& b : blocks) {
    if (b.type == block::kind::heading) top = std::min(top, std::clamp(b.level, 1, 6));
  }
  return top == 7 ? 1 : top;
}

// Where the blocks of a container go: its indents and whether it is set in italic (quotes).
struct container {
  double left = 0;
  double right = 0;
  bool italic = false;
  bool top_level = true;
  int depth = 0;
  int list_depth = 0;
};

class section_builder {
 public:
  section_builder(const settings& s, section& out) : s_(s), out_(out) {}

  [[nodiscard]] double line() const noexcept { return s_.body_size * s_.line_height; }

  [[nodiscard]] paragraph_style body_style() const noexcept {
    paragraph_style style;
    style.size = s_.body_size;
    style.line_height = s_.line_height;
    return style;
  }

  /// The section's opening heading ("Chapter 3: Title", "Foreword").
  void add_section_heading(std::string_view text) {
    element e;
    e.style.font = font_role::heading;
    e.style.size = s_.body_size * 1.6;
    e.style.line_height = 1.25;
    e.style.align = text_align::center;
    e.style.bold = true;
    e.content = plain(text);
    e.keep_together = true;
    e.keep_with_next = true;
    e.space_after = 1.6 * line();
    out_.elements.push_back(std::move(e));
    last_paragraph_ = false;
  }

  /// Adds the blocks of `d`, without a first heading that only repeats `name` or `title`.
  void add_document(const document& d, std::string_view name, std::string_view title) {
    heading_base_ = top_heading_level(d.blocks);
    std::size_t first = 0;
    // Models often repeat the chapter title as the first line; the section heading shows it.
    if (!d.blocks.empty() && d.blocks.front().type == block::kind::heading) {
      const std::string heading = to_lower_ascii(one_line(plain_text(d.blocks.front().content)));
      if (!heading.empty() &&
          (heading == to_lower_ascii(one_line(name)) || heading == to_lower_ascii(one_line(title))))
        first = 1;
    }
    const container top;
    for (std::size_t i = first; i < d.blocks.size(); ++i) add_block(d.blocks[i], top);
  }

  void add_element(element e) { out_.elements.push_back(std::move(e)); }

 private:
  void add_blocks(const std::vector<block>& blocks, const container& c) {
    if (c.depth > max_depth) {
      element e;
      e.style = body_style();
      e.style.italic = c.italic;
      e.content = flattened(blocks);
      e.left = c.left;
      e.right = c.right;
      if (!e.content.text.empty()) out_.elements.push_back(std::move(e));
      return;
    }
    for (const auto& b : blocks) add_block(b, c);
  }

  // Indents grow with nesting but the text keeps at least half of the width.
  [[nodiscard]] container nested(const container& c, double left, double right) const {
    container inner = c;
    inner.top_level = false;
    inner.depth = c.depth + 1;
    if (c.left + c.right + left + right <= s_.page.content_width() / 2) {
      inner.left += left;
      inner.right += right;
    }
    return inner;
  }

  void add_block(const block& b, const container& c) {
    switch (b.type) {
      case block::kind::paragraph:
        add_paragraph(b, c);
        break;
      case block::kind::heading:
        add_heading(b, c);
        break;
      case block::kind::bullet_list:
      case block::kind::ordered_list:
        add_list(b, c);
        break;
      case block::kind::quote:
        add_quote(b, c);
        break;
      case block::kind::code_block:
        add_code(b, c);
        break;
      case block::kind::thematic_break:
        add_scene_break(c);
        break;
      case block::kind::table:
        add_table(b, c);
        break;
    }
  }

  void add_paragraph(const block& b, const container& c) {
    element e;
    e.style = body_style();
    e.style.italic = c.italic;
    e.content = rich(b.content);
    if (trim(e.content.text).empty()) return;
    e.left = c.left;
    e.right = c.right;
    if (c.top_level) {
      // Book convention: paragraphs follow each other indented, without space between; the
      // first one after a heading, a break or another block starts flush. So do paragraphs
      // with hard line breaks (verse, letters), since pango would indent every broken line.
      const bool broken = e.content.text.find('\n') != std::string::npos;
      if (last_paragraph_ && !broken) e.style.first_indent = 1.5 * s_.body_size;
    } else {
      e.space_before = 0.35 * line();
    }
    out_.elements.push_back(std::move(e));
    last_paragraph_ = c.top_level;
  }

  void add_heading(const block& b, const container& c) {
    const int level = std::max(1, std::clamp(b.level, 1, 6) - heading_base_ + 1);
    element e;
    e.style.font = font_role::heading;
    e.style.size = s_.body_size * (level == 1 ? 1.3 : level == 2 ? 1.15 : 1.05);
    e.style.line_height = 1.3;
    e.style.align = text_align::left;
    e.style.bold = true;
    e.style.italic = level >= 4;
    e.content = rich(b.content);
    if (trim(e.content.text).empty()) return;
    e.left = c.left;
    e.right = c.right;
    e.space_before = (level == 1 ? 1.3 : 1.0) * line();
    e.space_after = 0.45 * line();
    e.keep_together = true;
    e.keep_with_next = true;
    out_.elements.push_back(std::move(e));
    last_paragraph_ = false;
  }

  [[nodiscard]] static std::string bullet(int list_depth) {
    switch (list_depth % 3) {
      case 0:
        return "\u2022";  // •
      case 1:
        return "\u25E6";  // ◦
      default:
        return "\u25AA";  // ▪
    }
  }

  void add_list(const block& b, const container& c) {
    const std::size_t first = out_.elements.size();
    container inner = nested(c, 1.8 * s_.body_size, 0);
    inner.list_depth = c.list_depth + 1;
    long long number = b.start;
    for (const auto& item : b.items) {
      const std::size_t item_start = out_.elements.size();
      std::string marker = b.type == block::kind::ordered_list ? std::to_string(number++) + "."
                                                               : bullet(c.list_depth);
      const bool text_first = !item.empty() && item.front().type != block::kind::bullet_list &&
                              item.front().type != block::kind::ordered_list;
      if (!text_first) {
        // The marker needs a line of its own when the item starts with a nested list.
        element holder;
        holder.style = body_style();
        holder.content = plain("\u00A0");
        holder.left = inner.left;
        holder.right = inner.right;
        holder.keep_with_next = true;
        out_.elements.push_back(std::move(holder));
      }
      add_blocks(item, inner);
      if (out_.elements.size() > item_start) {
        element& head = out_.elements[item_start];
        head.marker = std::move(marker);
        head.space_before = std::max(head.space_before, 0.2 * line());
      }
    }
    surround(first, 0.5 * line());
  }

  void add_quote(const block& b, const container& c) {
    const std::size_t first = out_.elements.size();
    container inner = nested(c, 1.5 * s_.body_size, c.top_level ? 1.5 * s_.body_size : 0);
    inner.italic = true;
    add_blocks(b.children, inner);
    surround(first, 0.6 * line());
  }

  void add_code(const block& b, const container& c) {
    std::string_view text = b.text;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (trim(text).empty()) return;
    element e;
    e.kind = element_kind::code;
    e.style.font = font_role::mono;
    e.style.size = s_.body_size * 0.85;
    e.style.line_height = 1.35;
    e.style.align = text_align::left;
    rich_builder builder;
    builder.add_text(text, 0, true);
    e.content = builder.take();
    // The tinted box extends a little beyond the text (see render).
    const double pad = code_padding(s_);
    e.left = c.left + pad;
    e.right = c.right + pad;
    e.space_before = 0.8 * line();
    e.space_after = 0.8 * line();
    out_.elements.push_back(std::move(e));
    last_paragraph_ = false;
  }

  void add_scene_break(const container& c) {
    element e;
    e.style = body_style();
    e.style.align = text_align::center;
    e.content = plain("*\u2003\u2003*\u2003\u2003*");
    e.left = c.left;
    e.right = c.right;
    e.space_before = 0.8 * line();
    e.space_after = 0.8 * line();
    e.keep_together = true;
    out_.elements.push_back(std::move(e));
    last_paragraph_ = false;
  }

  void add_table(const block& b, const container& c) {
    std::size_t columns = 0;
    for (const auto& row : b.rows) columns = std::max(columns, row.size());
    if (columns == 0) return;
    const std::size_t first = out_.elements.size();
    const std::size_t table = out_.tables.size();
    out_.tables.push_back(table_layout{columns, none, {}});
    for (std::size_t r = 0; r < b.rows.size(); ++r) {
      element e;
      e.kind = element_kind::table_row;
      e.style = body_style();
      e.style.size = s_.body_size * 0.9;
      e.style.line_height = 1.3;
      e.style.align = text_align::left;
      e.style.italic = c.italic;
      e.left = c.left;
      e.right = c.right;
      e.table = table;
      for (const auto& cell : b.rows[r]) e.cells.push_back(rich(cell));
      e.cells.resize(columns);
      if (r == 0 && b.header_row) {
        e.style.bold = true;
        e.tinted = true;
        e.keep_with_next = true;
        out_.tables[table].header = out_.elements.size();
      }
      out_.elements.push_back(std::move(e));
    }
    surround(first, 0.7 * line());
  }

  // Space above and below a list, quote or table as a whole.
  void surround(std::size_t first, double space) {
    if (out_.elements.size() <= first) return;
    element& head = out_.elements[first];
    head.space_before = std::max(head.space_before, space);
    element& tail = out_.elements.back();
    tail.space_after = std::max(tail.space_after, space);
    last_paragraph_ = false;
  }

  const settings& s_;
  section& out_;
  int heading_base_ = 1;
  bool last_paragraph_ = false;
};

[[nodiscard]] section prose_section(const settings& s, section_kind kind, std::string name,
                                    const document& body, std::string_view title) {
  section sec;
  sec.kind = kind;
  sec.name = std::move(name);
  sec.sink = 0.12 * (s.page.bottom() - s.page.top());
  section_builder builder{s, sec};
  builder.add_section_heading(sec.name);
  builder.add_document(body, sec.name, title);
  return sec;
}

void add_matter(std::vector<section>& out, const settings& s, std::string name,
                const document& parsed, std::string_view source) {
  if (parsed.empty() && trim(source).empty()) return;
  document scratch;
  const document& body = section_body(parsed, source, scratch);
  if (body.empty()) return;
  out.push_back(prose_section(s, section_kind::matter, name, body, name));
}

[[nodiscard]] section title_page(const book& b, const settings& s) {
  section sec;
  sec.kind = section_kind::title_page;
  sec.name = clean_line(display_title(b));
  sec.listed = false;
  sec.sink = 0.2 * (s.page.bottom() - s.page.top());
  section_builder builder{s, sec};
  const double line = builder.line();

  element title;
  title.style.font = font_role::heading;
  title.style.size = s.body_size * 2.2;
  title.style.line_height = 1.2;
  title.style.align = text_align::center;
  title.style.bold = true;
  title.content = plain(display_title(b));
  builder.add_element(std::move(title));

  if (const std::string subtitle = one_line(b.subtitle); !subtitle.empty()) {
    element e;
    e.style.font = font_role::heading;
    e.style.size = s.body_size * 1.3;
    e.style.line_height = 1.3;
    e.style.align = text_align::center;
    e.style.italic = true;
    e.content = plain(subtitle);
    e.space_before = 0.9 * line;
    builder.add_element(std::move(e));
  }

  element ornament;
  ornament.kind = element_kind::rule;
  ornament.style = builder.body_style();
  ornament.space_before = 1.5 * line;
  builder.add_element(std::move(ornament));

  if (const std::string author = one_line(b.author); !author.empty()) {
    element e;
    e.style = builder.body_style();
    e.style.size = s.body_size * 1.25;
    e.style.align = text_align::center;
    e.content = plain(author);
    e.space_before = 1.5 * line;
    builder.add_element(std::move(e));
  }
  return sec;
}

// The table of contents; its entries point at the sections after it (by index into `all`).
[[nodiscard]] section contents(const settings& s, const std::vector<section>& all) {
  section sec;
  sec.kind = section_kind::contents;
  sec.name = "Contents";
  sec.listed = false;
  sec.sink = 0.12 * (s.page.bottom() - s.page.top());
  section_builder builder{s, sec};
  builder.add_section_heading(sec.name);
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!all[i].listed) continue;
    element e;
    e.kind = element_kind::toc_entry;
    e.style = builder.body_style();
    e.style.align = text_align::left;
    e.style.left_to_right = true;
    e.style.first_indent = -1.5 * s.body_size;  // wrapped titles hang under the first line
    e.content = plain(all[i].name);
    e.left = 0;
    e.right = 3.5 * s.body_size;  // the page number column
    e.space_before = 0.25 * builder.line();
    e.target = i;
    builder.add_element(std::move(e));
  }
  return sec;
}

}  // namespace

std::string clean_line(std::string_view text) {
  std::string line = one_line(text);
  repair_utf8(line);
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  return line;
}

settings make_settings(const book& b) {
  const typography& t = b.typography;
  settings s;
  const double width_mm = in_range_or(t.page_width_mm, 50, 1200, 148);
  const double height_mm = in_range_or(t.page_height_mm, 50, 1200, 210);
  // The margins hold the running header and the page number, so they cannot vanish; nor can
  // they eat the page.
  const double margin_mm = sane(t.margin_mm, 6, std::min(width_mm, height_mm) / 4, 18);
  s.page.width = width_mm * points_per_mm;
  s.page.height = height_mm * points_per_mm;
  s.page.margin = margin_mm * points_per_mm;
  s.body_size = sane(t.body_size_pt, 6, 36, 11);
  s.line_height = sane(t.line_height, 1.0, 3.0, 1.5);
  s.body_families = family_list(t.body_font, generic::serif);
  s.heading_families = family_list(t.heading_font, generic::serif);
  s.mono_families = std::string{mono_fallback};
  s.language = language_tag(b.language);
  return s;
}

std::vector<section> build_sections(const book& b, const settings& s) {
  std::vector<section> body;
  if (b.about_author_first) {
    add_matter(body, s, "About the Author", b.about_author_body, b.about_author);
  }
  const std::size_t before_contents = body.size();
  add_matter(body, s, "Foreword", b.foreword_body, b.foreword);
  add_matter(body, s, "Introduction", b.introduction_body, b.introduction);
  for (std::size_t i = 0; i < b.chapters.size(); ++i) {
    const auto& c = b.chapters[i];
    document scratch;
    const document& content = chapter_body(b, i, scratch);
    body.push_back(
        prose_section(s, section_kind::chapter, clean_line(chapter_heading(c)), content, c.title));
  }
  if (!b.about_author_first) {
    add_matter(body, s, "About the Author", b.about_author_body, b.about_author);
  }

  // Order as in the other formats: title page, about the author when it comes first, contents,
  // foreword, introduction, chapters, about the author.
  std::vector<section> out;
  out.reserve(body.size() + 2);
  out.push_back(title_page(b, s));
  for (std::size_t i = 0; i < before_contents; ++i) out.push_back(std::move(body[i]));
  const bool any_listed = !body.empty();
  std::vector<section> rest;
  for (std::size_t i = before_contents; i < body.size(); ++i) rest.push_back(std::move(body[i]));
  if (any_listed) {
    // Entries point at indices in the final vector: the contents section sits at out.size().
    section placeholder;
    placeholder.listed = false;
    out.push_back(std::move(placeholder));
    const std::size_t contents_at = out.size() - 1;
    for (auto& sec : rest) out.push_back(std::move(sec));
    out[contents_at] = contents(s, out);
  }
  return out;
}

}  // namespace lekhika::publishing::detail::pdf
