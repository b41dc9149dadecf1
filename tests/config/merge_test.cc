#include "core/config/merge.h"

#include <gtest/gtest.h>
#include <toml++/toml.h>

namespace protean::config {
namespace {

toml::table Parse(std::string_view text, std::string_view file = "test.toml") {
  return toml::parse(text, file);  // both string_view: not ambiguous
}

TEST(DeepMergeTest, TablesMergeRecursively) {
  toml::table base = Parse("[a]\nx = 1\ny = 2\n[a.deep]\nkeep = true\nswap = 1\n");
  DeepMerge(base, Parse("[a]\ny = 3\nz = 4\n[a.deep]\nswap = 2\n"));
  EXPECT_EQ(base.at_path("a.x").value<int64_t>(), 1);
  EXPECT_EQ(base.at_path("a.y").value<int64_t>(), 3);
  EXPECT_EQ(base.at_path("a.z").value<int64_t>(), 4);
  EXPECT_EQ(base.at_path("a.deep.keep").value<bool>(), true);
  EXPECT_EQ(base.at_path("a.deep.swap").value<int64_t>(), 2);
}

TEST(DeepMergeTest, ArraysAreReplacedNotConcatenated) {
  toml::table base = Parse("list = [1, 2, 3]\n[t]\nnames = [\"a\", \"b\"]\n");
  DeepMerge(base, Parse("list = [9]\n[t]\nnames = []\n"));
  const toml::array* list = base["list"].as_array();
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->get(0)->value<int64_t>(), 9);
  EXPECT_TRUE(base.at_path("t.names").as_array()->empty());
}

TEST(DeepMergeTest, ScalarsAndMismatchedTypesAreReplaced) {
  toml::table base = Parse("s = \"old\"\nn = 1\nt = 5\n[u]\nx = 1\n");
  DeepMerge(base, Parse("s = \"new\"\nn = 2.5\nu = \"flat\"\n[t]\ny = 2\n"));
  EXPECT_EQ(base["s"].value<std::string>(), "new");
  EXPECT_EQ(base["n"].value<double>(), 2.5);
  EXPECT_EQ(base["u"].value<std::string>(), "flat");  // a scalar replaces a table
  ASSERT_TRUE(base["t"].is_table());                  // a table replaces a scalar
  EXPECT_EQ(base.at_path("t.y").value<int64_t>(), 2);
}

TEST(DeepMergeTest, KeysOnlyInBaseStayAndEmptyOverlayChangesNothing) {
  toml::table base = Parse("a = 1\n[b]\nc = 2\n");
  DeepMerge(base, toml::table{});
  EXPECT_EQ(base, Parse("a = 1\n[b]\nc = 2\n"));
  DeepMerge(base, Parse("[b]\n"));
  EXPECT_EQ(base.at_path("b.c").value<int64_t>(), 2);
}

TEST(DeepMergeTest, ConstOverlayIsLeftIntact) {
  toml::table base = Parse("a = 1\n");
  const toml::table overlay = Parse("a = 2\n[t]\nx = [1]\n");
  DeepMerge(base, overlay);
  EXPECT_EQ(base["a"].value<int64_t>(), 2);
  EXPECT_EQ(overlay["a"].value<int64_t>(), 2);
  EXPECT_EQ(overlay.at_path("t.x").as_array()->size(), 1u);
}

TEST(DeepMergeTest, MovingKeepsSourcePositionsOfOverlayValues) {
  toml::table base = Parse("[db]\npool_size = 5\nprovider = \"memory\"\n", "base.toml");
  DeepMerge(base, Parse("\n[db]\n\npool_size = \"ten\"\nnew_key = [1]\n", "overlay.toml"));
  const toml::node* pool = base.at_path("db.pool_size").node();
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->source().begin.line, 4u);
  EXPECT_EQ(pool->source().begin.column, 13u);
  ASSERT_TRUE(pool->source().path);
  EXPECT_EQ(*pool->source().path, "overlay.toml");
  EXPECT_EQ(base.at_path("db.new_key").node()->source().begin.line, 5u);
  // Untouched base values keep theirs.
  EXPECT_EQ(base.at_path("db.provider").node()->source().begin.line, 3u);
}

}  // namespace
}  // namespace protean::config
