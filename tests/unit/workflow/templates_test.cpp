#include <gtest/gtest.h>

#include <map>
#include <string>

#include "lekhika/workflow/templates.hpp"

namespace lekhika::workflow {
namespace {

template_lookup from_map(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    const auto it = values.find(std::string{name});
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(RenderTemplate, ReplacesSingleBracePlaceholders) {
  const auto out = render_template("Write about {topic} for {target audience}.",
                                   from_map({{"topic", "bees"}, {"target audience", "kids"}}));
  EXPECT_EQ(out.text, "Write about bees for kids.");
  EXPECT_EQ(out.used, (std::vector<std::string>{"topic", "target audience"}));
  EXPECT_TRUE(out.missing.empty());
}

TEST(RenderTemplate, MissingNamesAreMarkedAndListedOnce) {
  const auto out = render_template("{a} {b} {a} {c.d-e}", from_map({{"b", "B"}}));
  EXPECT_EQ(out.text, "[a not provided] B [a not provided] [c.d-e not provided]");
  EXPECT_EQ(out.missing, (std::vector<std::string>{"a", "c.d-e"}));
  EXPECT_EQ(out.used, (std::vector<std::string>{"b"}));
}

TEST(RenderTemplate, DoubleBracesStayLiteral) {
  const auto out = render_template("Node {{NODE_ID}} and {{x}} keep braces; {x} does not.",
                                   from_map({{"x", "X"}, {"NODE_ID", "n"}}));
  EXPECT_EQ(out.text, "Node {{NODE_ID}} and {{x}} keep braces; X does not.");
  EXPECT_EQ(out.used, (std::vector<std::string>{"x"}));
}

TEST(RenderTemplate, LeavesNonPlaceholderBracesAlone) {
  const std::string json_example = R"(Answer as {"title": "x", "chapters": [1, 2]} please.)";
  const auto out = render_template(json_example, from_map({}));
  EXPECT_EQ(out.text, json_example);
  EXPECT_TRUE(out.missing.empty());
  const std::string long_name = "{" + std::string(65, 'a') + "}";
  EXPECT_EQ(render_template(long_name, from_map({})).text, long_name);
  const std::string max_name = "{" + std::string(64, 'a') + "}";
  EXPECT_EQ(render_template(max_name, from_map({})).missing.size(), 1U);
  for (const char* literal : {"{}", "{ }", "{unclosed", "trailing {", "{a\nb}", "{a:b}"}) {
    EXPECT_EQ(render_template(literal, from_map({{"a", "A"}})).text, literal) << literal;
  }
}

TEST(RenderTemplate, EmptyLookupMarksEverythingMissing) {
  const auto out = render_template("{x}", template_lookup{});
  EXPECT_EQ(out.text, "[x not provided]");
}

}  // namespace
}  // namespace lekhika::workflow
