#include "core/config/discovery.h"

#include <gtest/gtest.h>

#include "core/config/domain_config.h"
#include "tests/config/test_util.h"

namespace protean::config {
namespace {

namespace fs = std::filesystem;
using testing::CaptureError;
using testing::TempDir;

bool SameFile(const fs::path& a, const fs::path& b) { return fs::equivalent(a, b); }

TEST(DiscoveryTest, FindsDomainTomlInTheFolder) {
  TempDir dir;
  fs::path file = dir.Write("app/domain.toml", "debug = true\n");
  fs::path found = FindDomainConfigFile(dir.path() / "app");
  EXPECT_TRUE(SameFile(found, file));
  EXPECT_EQ(found.filename(), "domain.toml");
}

TEST(DiscoveryTest, PrefersDotDomainToml) {
  TempDir dir;
  dir.Write("app/domain.toml", "");
  fs::path hidden = dir.Write("app/.domain.toml", "");
  EXPECT_TRUE(SameFile(FindDomainConfigFile(dir.path() / "app"), hidden));
}

TEST(DiscoveryTest, SearchesUpToTwoParents) {
  TempDir dir;
  fs::path start = dir.MakeDir("root/a/b/c");
  fs::path in_grandparent = dir.Write("root/a/domain.toml", "");
  EXPECT_TRUE(SameFile(FindDomainConfigFile(start), in_grandparent));
  fs::path in_parent = dir.Write("root/a/b/.domain.toml", "");
  EXPECT_TRUE(SameFile(FindDomainConfigFile(start), in_parent));
  // The nearest folder wins over the preferred name further up.
  fs::path own = dir.Write("root/a/b/c/domain.toml", "");
  EXPECT_TRUE(SameFile(FindDomainConfigFile(start), own));
}

TEST(DiscoveryTest, ThreeParentsUpIsNotFound) {
  TempDir dir;
  fs::path start = dir.MakeDir("root/a/b/c");
  dir.Write("root/domain.toml", "");
  ConfigurationError e = CaptureError([&] { FindDomainConfigFile(start); });
  EXPECT_EQ(e.code, kConfigNotFound);
  EXPECT_NE(e.message.find(".domain.toml or domain.toml"), std::string::npos);
  // The three folders searched are named.
  fs::path canonical_start = fs::canonical(start);
  EXPECT_NE(e.message.find(canonical_start.string()), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(canonical_start.parent_path().string()), std::string::npos);
  EXPECT_NE(e.message.find(canonical_start.parent_path().parent_path().string()),
            std::string::npos);
  EXPECT_EQ(e.file, start.string());
}

TEST(DiscoveryTest, AnExplicitFileIsUsedWhateverItsName) {
  TempDir dir;
  fs::path file = dir.Write("configs/staging.toml", "");
  EXPECT_EQ(FindDomainConfigFile(file), file);
}

TEST(DiscoveryTest, MissingPathIsNotFound) {
  TempDir dir;
  ConfigurationError e = CaptureError([&] { FindDomainConfigFile(dir.path() / "nope"); });
  EXPECT_EQ(e.code, kConfigNotFound);
  EXPECT_EQ(e.message, "no such file or directory");
  EXPECT_EQ(e.file, (dir.path() / "nope").string());
}

TEST(DiscoveryTest, TrailingSeparatorIsAccepted) {
  TempDir dir;
  fs::path file = dir.Write("app/domain.toml", "");
  EXPECT_TRUE(SameFile(FindDomainConfigFile((dir.path() / "app").string() + "/"), file));
}

TEST(DiscoveryTest, LoadDomainConfigUsesDiscovery) {
  TempDir dir;
  dir.Write("proj/domain.toml", "debug = true\n");
  dir.Write("proj/.domain.toml",
            "debug = false\n[databases.default]\nprovider = \"sqlite\"\n"
            "database_uri = \"sqlite:///x.db\"\n");
  LoadOptions options;
  options.path = dir.path() / "proj" / "src";
  fs::create_directories(options.path);
  options.env = "";
  options.env_lookup = testing::FakeEnv();
  DomainConfig config = LoadDomainConfig(options);
  EXPECT_FALSE(config.debug);
  EXPECT_EQ(config.databases.at("default").provider, "sqlite");
  EXPECT_EQ(fs::path(config.source_file).filename(), ".domain.toml");
}

TEST(DiscoveryTest, LoadErrorsNameTheDiscoveredFile) {
  TempDir dir;
  fs::path file = dir.Write("p/domain.toml", "debug = true\n[databases.default]\nprovider = 3\n");
  LoadOptions options;
  options.path = dir.path() / "p";
  options.env_lookup = testing::FakeEnv();
  ConfigurationError e = CaptureError([&] { LoadDomainConfig(options); });
  EXPECT_EQ(e.file, file.string());
  EXPECT_EQ(e.key_path, "databases.default.provider");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 12u);
}

}  // namespace
}  // namespace protean::config
