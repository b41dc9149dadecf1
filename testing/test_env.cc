#include "testing/test_env.h"

#include <cstdlib>
#include <cstring>
#include <optional>

namespace protean::testing {
namespace {

std::optional<TestEnv> chosen;

std::optional<TestEnv> Parse(std::string_view name) {
  if (name == "memory") return TestEnv::kMemory;
  if (name == "test") return TestEnv::kTest;
  return std::nullopt;
}

}  // namespace

std::string_view TestEnvName(TestEnv env) { return env == TestEnv::kTest ? "test" : "memory"; }

TestEnv CurrentTestEnv() {
  if (chosen) return *chosen;
  const char* env = std::getenv("PROTEAN_ENV");
  if (env != nullptr) {
    if (std::optional<TestEnv> parsed = Parse(env)) return *parsed;
  }
  return TestEnv::kMemory;
}

void SetTestEnv(TestEnv env) { chosen = env; }

bool InitTestEnv(int* argc, char** argv, std::string* error) {
  std::optional<std::string> value;
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--protean-env" && i + 1 < *argc) {
      value = argv[++i];
    } else if (arg.rfind("--protean-env=", 0) == 0) {
      value = std::string(arg.substr(std::strlen("--protean-env=")));
    } else if (arg == "--protean-env") {
      *error = "--protean-env needs a value: memory or test";
      return false;
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  argv[out] = nullptr;
  if (!value) {
    const char* env = std::getenv("PROTEAN_ENV");
    if (env == nullptr || *env == '\0') return true;
    value = env;
  }
  std::optional<TestEnv> parsed = Parse(*value);
  if (!parsed) {
    *error = "--protean-env / PROTEAN_ENV: expected memory or test, got \"" + *value + "\"";
    return false;
  }
  SetTestEnv(*parsed);
  return true;
}

}  // namespace protean::testing
