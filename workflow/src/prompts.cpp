#include "lekhika/workflow/prompts.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "lekhika/workflow/chapters.hpp"
#include "lekhika/workflow/templates.hpp"
#include "lekhika/workflow/text.hpp"
#include "lekhika/workflow/user_input.hpp"

namespace lekhika::workflow {
namespace {

using json = nlohmann::json;

constexpr std::size_t previous_chapter_chars = 200;  // {previousChapters}, as the original
constexpr std::size_t chapter_summary_chars = 150;   // {previousChapterSummary} and summaries
constexpr std::size_t recent_chapter_chars = 600;    // the last chapters, shown more fully
constexpr std::size_t recent_chapters = 5;
constexpr std::size_t previous_ending_chars = 800;  // how the previous chapter ended
constexpr int min_chapter_words = 300;

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

// The first `chars` characters of `text` on one line, with "..." when cut.
std::string excerpt(std::string_view text, std::size_t chars) {
  std::string flat;
  bool space = false;
  for (char c : trim(text)) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !flat.empty()) flat.push_back(' ');
    space = false;
    flat.push_back(c);
  }
  const std::string_view kept = utf8_prefix(flat, chars);
  return kept.size() == flat.size() ? flat : std::string{kept} + "...";
}

std::string chapter_label(const chapter& c) {
  std::string label = "Chapter " + std::to_string(c.number);
  if (!c.title.empty()) label += ": " + c.title;
  return label;
}

// {previousChapters}: "Chapter N: <first 200 chars>" for each, as the original rendered it.
std::string previous_chapters_text(const std::optional<chapter_call>& call) {
  if (!call || call->previous.empty()) return "No previous chapters available";
  std::string out;
  for (const auto& c : call->previous) {
    if (!out.empty()) out += "\n\n";
    out +=
        "Chapter " + std::to_string(c.number) + ": " + excerpt(c.content, previous_chapter_chars);
  }
  return out;
}

std::string previous_summary_text(const std::optional<chapter_call>& call) {
  if (!call || call->previous.empty()) return "This is the first chapter";
  const chapter& last = call->previous.back();
  return "In Chapter " + std::to_string(last.number) + ", " +
         excerpt(last.content, chapter_summary_chars);
}

struct default_prompt {
  std::string_view system;
  std::string_view user;
};

// Used when a node has neither prompt, so that a model call is never empty.
default_prompt default_for(const node& n) {
  switch (n.kind) {
    case role_kind::writer:
      return {"You are an experienced author. You write complete, vivid, well-paced book prose.",
              "Write the book described below, following its genre, tone and style."};
    case role_kind::reviser:
      return {"You are a careful editor who improves prose without changing its meaning.",
              "Revise the text you are given: correct errors, tighten the prose, keep the "
              "author's voice and the structure of the chapters."};
    case role_kind::structural:
      return {"You are a book architect who plans the structure of books.",
              "Plan the book described below as an outline with one line per chapter in the form "
              "\"Chapter N: Title\", each followed by a short summary of what happens in it."};
    case role_kind::image:
      return {"You describe illustrations for books.",
              "Describe one illustration for the book described below: subject, setting, mood "
              "and style, in a single paragraph."};
    case role_kind::preview:
      return {"You write previews of books for their readers.",
              "Write a short preview of the book described below: a blurb and an opening "
              "passage that shows its voice."};
    default:
      return {"You help prepare a book before it is written.",
              "Produce concise notes for the book described below (facts, ideas, characters, "
              "settings, structure, whatever the role calls for) that a writer can build on."};
  }
}

struct section_builder {
  std::string text;
  void add(std::string_view section) {
    const std::string_view body = trim(section);
    if (body.empty()) return;
    if (!text.empty()) text += "\n\n";
    text += body;
  }
};

// The upstream texts under one heading, newest first, cut to max_upstream_chars in total:
// the budget is spent on the newest inputs and the oldest are cut or left out.
std::string upstream_section(const std::vector<const upstream_text*>& entries) {
  if (entries.empty()) return {};
  std::string out = "## Input from previous steps";
  std::size_t budget = max_upstream_chars;
  std::size_t left_out = 0;
  for (const upstream_text* entry : entries) {
    if (budget == 0) {
      ++left_out;
      continue;
    }
    const std::string_view body = trim(entry->text);
    const std::size_t length = utf8_length(body);
    out += "\n\n### " + entry->node_id + "\n\n";
    if (length <= budget) {
      out += body;
      budget -= length;
    } else {
      out += utf8_prefix(body, budget);
      out += "\n\n[... cut to fit ...]";
      budget = 0;
    }
  }
  if (left_out > 0) {
    out += "\n\n(" + std::to_string(left_out) + " older input" + (left_out == 1 ? "" : "s") +
           " left out to fit)";
  }
  return out;
}

std::string chapters_so_far(const chapter_call& call) {
  std::string out = "## Chapters written so far";
  const std::size_t count = call.previous.size();
  for (std::size_t i = 0; i < count; ++i) {
    const chapter& c = call.previous[i];
    const bool recent = i + recent_chapters >= count;
    out += "\n\n" + chapter_label(c) + "\n" +
           excerpt(c.content, recent ? recent_chapter_chars : chapter_summary_chars);
  }
  // The next chapter picks up where the last one stopped; a short chapter is already whole.
  const chapter& last = call.previous.back();
  const std::string_view content = trim(last.content);
  if (utf8_length(content) > recent_chapter_chars) {
    const std::string_view ending = utf8_suffix(content, previous_ending_chars);
    out += "\n\n### How Chapter " + std::to_string(last.number) + " ends\n\n";
    if (ending.size() < content.size()) out += "...";
    out += ending;
  }
  return out;
}

std::string chapter_task(const node& n, const chapter_call& call, const json& input) {
  const std::string number = std::to_string(call.current);
  const std::string of = number + " of " + std::to_string(std::max(call.total, call.current));
  const std::string heading = "Chapter " + number + ": " + call.title;
  std::string out = "## Your task\n\n";
  if (n.kind == role_kind::reviser) {
    out += "Revise Chapter " + of + (call.title.empty() ? "" : ": " + call.title) + ".";
    out += call.title.empty() ? " Keep its heading." : " Keep its heading \"" + heading + "\".";
    return out;
  }
  if (call.title.empty()) {
    out += "Write Chapter " + of + ". Start with the heading \"Chapter " + number +
           ": \" followed by a title you choose.";
  } else {
    out +=
        "Write Chapter " + of + ": " + call.title + ". Start with the heading \"" + heading + "\".";
  }
  const int total = std::max(call.total, 1);
  const int words = std::max(min_chapter_words, target_words(input) / total);
  out += " Aim for about " + std::to_string(words) + " words.";
  out += " Write only this chapter";
  out += call.previous.empty() ? "."
                               : ", carrying on from the chapters before it without "
                                 "repeating them.";
  return out;
}

}  // namespace

built_prompt build_prompt(const node& n, const prompt_context& context) {
  built_prompt out;
  static const json empty_input = json::object();
  const json& input = context.user_input != nullptr && context.user_input->is_object()
                          ? *context.user_input
                          : empty_input;

  bool names_upstream = false;
  bool used_input = false;
  bool used_outline = false;
  bool used_previous_chapters = false;
  const template_lookup lookup = [&](std::string_view name) -> std::optional<std::string> {
    for (const auto& entry : context.upstream) {
      if (entry.node_id == name) {
        names_upstream = true;
        return entry.text;
      }
    }
    if (name == "previous_node_output") {
      names_upstream = true;
      if (context.upstream.empty()) return std::nullopt;
      std::string joined;
      for (const auto& entry : context.upstream) {
        if (!joined.empty()) joined += "\n\n";
        joined += trim(entry.text);
      }
      return joined;
    }
    if (name == "outline") {
      used_outline = true;
      if (trim(context.outline).empty()) return std::nullopt;
      return context.outline;
    }
    if (name == "currentChapter") {
      return std::to_string(context.chapter ? context.chapter->current : 1);
    }
    if (name == "totalChapters") {
      return std::to_string(context.chapter ? context.chapter->total
                                            : chapter_count_from_input(input));
    }
    if (name == "previousChapters") {
      used_previous_chapters = true;
      return previous_chapters_text(context.chapter);
    }
    if (name == "previousChapterSummary") {
      used_previous_chapters = true;
      return previous_summary_text(context.chapter);
    }
    if (name == "chapterTitle") {
      if (!context.chapter) return std::nullopt;
      if (!context.chapter->title.empty()) return context.chapter->title;
      return "Chapter " + std::to_string(context.chapter->current);
    }
    if (name == "user_input_data") {
      used_input = true;
      return render_input(input);
    }
    // The input is sanitised already; refusing secret-looking names as well keeps a key that
    // slipped through out of prompts.
    if (is_secret_key(name)) return std::nullopt;
    if (const json* value = find_input_value(input, name)) {
      used_input = true;
      return render_value(*value);
    }
    return std::nullopt;
  };

  const bool no_templates = trim(n.system_prompt).empty() && trim(n.user_prompt).empty();
  const default_prompt fallback = default_for(n);
  std::string book_details;
  if (!input.empty()) book_details = "## Book details\n\n" + render_input(input);

  section_builder user;
  if (no_templates) {
    out.system = std::string{fallback.system};
    user.add(fallback.user);
    user.add(book_details);
  } else {
    const rendered_template system = render_template(n.system_prompt, lookup);
    const rendered_template user_template = render_template(n.user_prompt, lookup);
    out.system = std::string{trim(system.text)};
    user.add(user_template.text);
    std::vector<std::string> missing = system.missing;
    for (const auto& name : user_template.missing) {
      if (std::find(missing.begin(), missing.end(), name) == missing.end()) missing.push_back(name);
    }
    for (const auto& name : missing) {
      out.warnings.push_back("placeholder {" + name + "} is not provided");
    }
  }

  const bool revising = context.text_to_revise.has_value();
  const bool add_outline = context.chapter && n.kind != role_kind::reviser && !used_outline &&
                           !trim(context.outline).empty();

  // The user input reaches every node (workflow.md). A template that names none of it (the
  // palette's prompts say "using all the data provided") gets it as a section, unless an input
  // node upstream already delivered exactly that text.
  if (!no_templates && !used_input && !book_details.empty()) {
    const std::string rendered = render_input(input);
    const bool delivered =
        std::any_of(context.upstream.begin(), context.upstream.end(),
                    [&](const upstream_text& entry) { return trim(entry.text) == trim(rendered); });
    if (!delivered) user.add(book_details);
  }

  // What an edge delivers always reaches the model, unless the template placed it itself.
  if (!names_upstream) {
    std::vector<const upstream_text*> entries;
    for (const auto& entry : context.upstream) {
      if (trim(entry.text).empty()) continue;
      // Not twice: the outline and the text to revise get sections of their own.
      if (add_outline && trim(entry.text) == trim(context.outline)) continue;
      if (revising && trim(entry.text) == trim(*context.text_to_revise)) continue;
      entries.push_back(&entry);
    }
    user.add(upstream_section(entries));
  }

  if (context.chapter) {
    if (add_outline) {
      user.add("## Outline\n\n" +
               std::string{utf8_prefix(trim(context.outline), max_upstream_chars)});
    }
    if (!context.chapter->previous.empty() && !used_previous_chapters &&
        n.kind != role_kind::reviser) {
      user.add(chapters_so_far(*context.chapter));
    }
    user.add(chapter_task(n, *context.chapter, input));
  }

  if (revising) {
    user.add("## Text to revise\n\n" + *context.text_to_revise);
    user.add("Return only the revised text, without notes or comments before or after it.");
  }

  if (user.text.empty()) {
    // A system prompt alone still needs a user turn that says what to do.
    user.add(fallback.user);
    user.add(book_details);
  }
  out.user = std::move(user.text);
  return out;
}

}  // namespace lekhika::workflow
