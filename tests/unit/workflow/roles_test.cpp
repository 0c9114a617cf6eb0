#include <gtest/gtest.h>

#include <set>
#include <string>

#include "lekhika/testing/fixtures.hpp"
#include "lekhika/workflow/model.hpp"
#include "lekhika/workflow/roles.hpp"

namespace lekhika::workflow {
namespace {

TEST(RoleTable, HasThirtyOneUniqueRoles) {
  const auto roles = all_roles();
  ASSERT_EQ(roles.size(), 31U);
  std::set<std::string_view> names;
  for (const auto& role : roles) names.insert(role.name);
  EXPECT_EQ(names.size(), 31U);
}

TEST(RoleTable, MatchesFixtureNodeRoleConfig) {
  LEKHIKA_REQUIRE_FIXTURES();
  const auto palettes = testing::load_fixture("node-palettes.json");
  ASSERT_TRUE(palettes.contains("NODE_ROLE_CONFIG"));
  const auto& config = palettes.at("NODE_ROLE_CONFIG");
  EXPECT_EQ(config.size(), 31U);
  EXPECT_EQ(all_roles().size(), config.size());
  for (const auto& [name, row] : config.items()) {
    SCOPED_TRACE(name);
    const role_info* role = find_role(name);
    ASSERT_NE(role, nullptr);
    EXPECT_EQ(role->name, name);
    EXPECT_EQ(role->can_write_content, row.at("canWriteContent").get<bool>());
    EXPECT_EQ(role->can_edit_structure, row.at("canEditStructure").get<bool>());
    EXPECT_EQ(role->can_proofread, row.at("canProofRead").get<bool>());
    EXPECT_EQ(role->max_tokens, row.at("maxTokens").get<int>());
    EXPECT_DOUBLE_EQ(role->temperature, row.at("temperature").get<double>());
  }
}

TEST(RoleTable, EveryPaletteKeyResolvesToItsRole) {
  LEKHIKA_REQUIRE_FIXTURES();
  const auto palettes = testing::load_fixture("node-palettes.json");
  for (const auto& [category, templates] : palettes.at("NODE_PALETTES").items()) {
    for (const auto& [key, entry] : templates.items()) {
      SCOPED_TRACE(key);
      const role_info* role = find_role(key);
      ASSERT_NE(role, nullptr);
      EXPECT_EQ(role->name, entry.at("role").get<std::string>());
    }
  }
}

TEST(RoleTable, KindsFollowWorkflowSemantics) {
  const auto kind = [](std::string_view name) { return find_role(name)->kind; };
  EXPECT_EQ(kind("story_input"), role_kind::input);
  EXPECT_EQ(kind("researcher"), role_kind::planner);
  EXPECT_EQ(kind("character_developer"), role_kind::planner);
  EXPECT_EQ(kind("plot_architect"), role_kind::structural);
  EXPECT_FALSE(find_role("plot_architect")->can_edit_structure);  // the table's value is kept
  EXPECT_EQ(kind("story_outliner"), role_kind::structural);
  EXPECT_EQ(kind("content_architect"), role_kind::structural);
  EXPECT_EQ(kind("copywriter"), role_kind::writer);
  EXPECT_EQ(kind("end_to_end_polisher"), role_kind::reviser);
  EXPECT_EQ(kind("proofreader"), role_kind::reviser);
  EXPECT_EQ(kind("ecover_generator"), role_kind::image);
  EXPECT_EQ(kind("quality_gate"), role_kind::condition);
  EXPECT_EQ(kind("audiobook_previewer"), role_kind::preview);
  EXPECT_EQ(kind("multi_format_output"), role_kind::output);
}

TEST(RoleTable, AcceptsPaletteAliases) {
  EXPECT_EQ(find_role("user_preference_router")->name, "preference_router");
  EXPECT_EQ(find_role("chapter_preview")->name, "chapter_previewer");
  EXPECT_EQ(find_role("audiobook_preview")->name, "audiobook_previewer");
  EXPECT_EQ(find_role("image_generator_general")->name, "image_generator");
  EXPECT_EQ(find_role("image_generator_character")->name, "image_generator");
  EXPECT_EQ(find_role("no_such_role"), nullptr);
  EXPECT_EQ(find_role(""), nullptr);
}

TEST(RoleInference, FollowsOriginalKeywordOrder) {
  EXPECT_EQ(infer_role_from_label("World-Building Expert"), "world_builder");
  EXPECT_EQ(infer_role_from_label("Character Development"), "world_builder");
  EXPECT_EQ(infer_role_from_label("Plot Architect"), "plot_architect");
  EXPECT_EQ(infer_role_from_label("Story Structure"), "plot_architect");
  EXPECT_EQ(infer_role_from_label("Kun.War (Story Architect)"), "story_outliner");
  EXPECT_EQ(infer_role_from_label("Story Outline Maker"), "story_outliner");
  EXPECT_EQ(infer_role_from_label("Shuddhi.Kar (Editor)"), "editor");
  EXPECT_EQ(infer_role_from_label("PROOFREADING pass"), "editor");
  EXPECT_EQ(infer_role_from_label("Chapter Maker"), "content_writer");
  EXPECT_EQ(infer_role_from_label("Book Author"), "content_writer");
  EXPECT_EQ(infer_role_from_label("Generate Text"), "content_writer");
  EXPECT_EQ(infer_role_from_label("Research Node"), std::nullopt);
  EXPECT_EQ(infer_role_from_label(""), std::nullopt);
}

TEST(RoleInference, LabelNamingARoleMeansThatRole) {
  EXPECT_EQ(infer_role_from_label("Narrative Architect"), "narrative_architect");
  EXPECT_EQ(infer_role_from_label("Technical Writer"), "technical_writer");
  EXPECT_EQ(infer_role_from_label("Chitra.Kar (Image Generator)"), "image_generator");
  EXPECT_EQ(infer_role_from_label("Pustak.Shilpi (E-Cover Generator)"), "ecover_generator");
  EXPECT_EQ(infer_role_from_label("Fantasy World Builder"), "world_builder");
  EXPECT_EQ(infer_role_from_label("lipi.kar (content writer)"), "content_writer");
}

TEST(RoleNames, ToStringCoversEveryValue) {
  EXPECT_STREQ(to_string(node_type::input), "input");
  EXPECT_STREQ(to_string(node_type::process), "process");
  EXPECT_STREQ(to_string(node_type::condition), "condition");
  EXPECT_STREQ(to_string(node_type::preview), "preview");
  EXPECT_STREQ(to_string(node_type::output), "output");
  EXPECT_STREQ(to_string(role_kind::planner), "planner");
  EXPECT_STREQ(to_string(role_kind::structural), "structural");
  EXPECT_STREQ(to_string(role_kind::writer), "writer");
  EXPECT_STREQ(to_string(role_kind::reviser), "reviser");
  EXPECT_STREQ(to_string(role_kind::image), "image");
  EXPECT_STREQ(to_string(role_kind::generic), "generic");
}

}  // namespace
}  // namespace lekhika::workflow
