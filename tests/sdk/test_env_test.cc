// --protean-env: taken out of argv and applied; a bad value is refused.
#include <gtest/gtest.h>

#include "testing/test_env.h"

namespace protean::testing {
namespace {

TEST(TestEnvTest, FlagIsRemovedFromArgvAndApplied) {
  const TestEnv before = CurrentTestEnv();
  std::string a0 = "t", a1 = "--gtest_brief=1", a2 = "--protean-env", a3 = "test";
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), nullptr};
  int argc = 4;
  std::string error;
  ASSERT_TRUE(InitTestEnv(&argc, argv, &error)) << error;
  EXPECT_EQ(argc, 2);
  EXPECT_STREQ(argv[1], "--gtest_brief=1");
  EXPECT_EQ(argv[2], nullptr);
  EXPECT_EQ(CurrentTestEnv(), TestEnv::kTest);

  std::string b1 = "--protean-env=memory";
  char* argv2[] = {a0.data(), b1.data(), nullptr};
  argc = 2;
  ASSERT_TRUE(InitTestEnv(&argc, argv2, &error)) << error;
  EXPECT_EQ(argc, 1);
  EXPECT_EQ(CurrentTestEnv(), TestEnv::kMemory);
  SetTestEnv(before);
}

TEST(TestEnvTest, BadValueIsRefusedNamingIt) {
  std::string a0 = "t", a1 = "--protean-env=production";
  char* argv[] = {a0.data(), a1.data(), nullptr};
  int argc = 2;
  std::string error;
  EXPECT_FALSE(InitTestEnv(&argc, argv, &error));
  EXPECT_EQ(error, "--protean-env / PROTEAN_ENV: expected memory or test, got \"production\"");
  std::string b1 = "--protean-env";
  char* argv2[] = {a0.data(), b1.data(), nullptr};
  argc = 2;
  EXPECT_FALSE(InitTestEnv(&argc, argv2, &error));
}

}  // namespace
}  // namespace protean::testing
