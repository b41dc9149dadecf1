#pragma once
// Assertions over CheckResult for the checker tests.

#include <string>

#include <gtest/gtest.h>

#include "harness/checkers.h"

namespace protean::harness::testing {

inline std::string Describe(const CheckResult& r) {
  std::string out = r.checker + ":";
  for (const std::string& v : r.violations) out += "\n  " + v;
  return out;
}

// Passed, or prints every violation.
#define EXPECT_PASSES(result)                                              \
  do {                                                                     \
    const ::protean::harness::CheckResult _r = (result);                   \
    EXPECT_TRUE(_r.passed()) << ::protean::harness::testing::Describe(_r); \
  } while (0)

// Failed, with some violation containing `fragment`.
#define EXPECT_FAILS_WITH(result, fragment)                                     \
  do {                                                                          \
    const ::protean::harness::CheckResult _r = (result);                        \
    bool _found = false;                                                        \
    for (const std::string& _v : _r.violations) {                               \
      _found = _found || _v.find(fragment) != std::string::npos;                \
    }                                                                           \
    EXPECT_TRUE(_found) << "no violation containing \"" << (fragment) << "\"\n" \
                        << ::protean::harness::testing::Describe(_r);           \
  } while (0)

}  // namespace protean::harness::testing
