// `protean config keys`: docs/protean-keys.md is its markdown, so the table
// the docs show is the inventory the loader and `protean check` use; the
// JSON form has one entry per inventory row.
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/config_command.h"
#include "core/config/protean_keys.h"

namespace protean::cli {
namespace {

TEST(ConfigKeysTest, TheDocsTableIsTheCommandsOutput) {
  std::ostringstream out;
  ASSERT_EQ(RunConfigKeys("markdown", out), 0);
  std::ifstream file(std::string(PROTEAN_SOURCE_DIR) + "/docs/protean-keys.md");
  ASSERT_TRUE(file) << "docs/protean-keys.md is missing";
  std::stringstream doc;
  doc << file.rdbuf();
  EXPECT_EQ(doc.str(), out.str())
      << "docs/protean-keys.md is stale: regenerate it with "
         "`protean config keys --format markdown > docs/protean-keys.md`";
}

TEST(ConfigKeysTest, JsonHasEveryInventoryRow) {
  std::ostringstream out;
  ASSERT_EQ(RunConfigKeys("json", out), 0);
  const nlohmann::json keys = nlohmann::json::parse(out.str());
  ASSERT_EQ(keys.size(), config::ProteanKeys().size());
  EXPECT_EQ(keys[0]["key"], std::string(config::ProteanKeys()[0].path));
  for (const nlohmann::json& k : keys) {
    EXPECT_FALSE(k["source"].get<std::string>().empty()) << k.dump();
    EXPECT_FALSE(k["support"].get<std::string>().empty()) << k.dump();
  }
}

}  // namespace
}  // namespace protean::cli
