#pragma once
// Helpers for the configuration tests: a fake environment, temporary
// directories, and capturing a ConfigurationError.

// Cases whose domains name Redis or PostgreSQL: skipped in a memory-only
// build, where `protean check` rightly refuses those providers
// (tests/config/CMakeLists.txt defines PROTEAN_TEST_REAL_ADAPTERS).
#ifdef PROTEAN_TEST_REAL_ADAPTERS
#define PROTEAN_SKIP_WITHOUT_REAL_ADAPTERS() (void)0
#else
#define PROTEAN_SKIP_WITHOUT_REAL_ADAPTERS() \
  GTEST_SKIP() << "memory-only build: the domain names Redis or PostgreSQL"
#endif

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "core/config/configuration_error.h"
#include "core/config/domain_config.h"
#include "core/config/substitution.h"

namespace protean::config::testing {

// An EnvLookup answering from `vars` only (never the process environment).
EnvLookup FakeEnv(std::map<std::string, std::string> vars = {});

// ParseDomainConfig of `text` named "domain.toml", with FakeEnv(vars) and the
// environment name `env` ("" = none; PROTEAN_ENV is never read).
DomainConfig ParseText(std::string_view text, std::map<std::string, std::string> vars = {},
                       std::string env = "");

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path()/relative (creating folders); returns the path.
  std::filesystem::path Write(const std::filesystem::path& relative,
                              std::string_view content) const;
  std::filesystem::path MakeDir(const std::filesystem::path& relative) const;

 private:
  std::filesystem::path path_;
};

// Runs `fn`, which must throw a ConfigurationError, and returns it. Records a
// test failure (and returns an error with code "NONE") when it does not.
template <typename Fn>
ConfigurationError CaptureError(Fn&& fn) {
  try {
    fn();
  } catch (const ConfigurationError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ConfigurationError";
  return ConfigurationError("NONE", ErrorLocation{}, "");
}

std::string ReadFile(const std::filesystem::path& path);

// toml::parse with string_view arguments (string literals are ambiguous).
toml::table ParseToml(std::string_view text, std::string_view source = "test.toml");

}  // namespace protean::config::testing
