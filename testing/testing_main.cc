// The main of protean::testing_main: GoogleTest with the --protean-env
// switch (testing/test_env.h). A bad value is exit 2 with one line.

#include <cstdio>
#include <string>

#include <gmock/gmock.h>

#include "testing/test_env.h"

int main(int argc, char** argv) {
  std::string error;
  if (!protean::testing::InitTestEnv(&argc, argv, &error)) {
    std::fprintf(stderr, "%s: %s\n", argv[0], error.c_str());
    return 2;
  }
  ::testing::InitGoogleMock(&argc, argv);
  std::printf(
      "protean-env: %s\n",
      std::string(protean::testing::TestEnvName(protean::testing::CurrentTestEnv())).c_str());
  return RUN_ALL_TESTS();
}
