#pragma once
// What each `protean check` code means, in the shape of Protean's diagnostic
// registry (ir/diagnostics.py CodeMeta): a category, a one-line meaning, the
// rule's rationale and its fix. `protean check --format json` carries
// category, rule {rationale, fix} and suggestion (= fix) on every
// diagnostic; SARIF's reportingDescriptor takes meaning, rationale and fix.
//
// Protean's own codes (LOW_POOL_SIZE, CONFIG_UNRESOLVED_ENV_VAR) keep its
// category and wording. A code without an entry gets category
// "configuration" and a generic text, so a new rule never breaks the output
// (tests/config/check_format_test.cc lists the codes that must have one).

#include <string_view>

namespace protean::config {

struct CheckRuleMeta {
  std::string_view category;  // Protean's vocabulary where it has one
  std::string_view meaning;   // one line
  std::string_view rationale;
  std::string_view fix;
};

const CheckRuleMeta& CheckRuleMetaOf(std::string_view code);
// Whether `code` has its own entry (not the generic one).
bool HasCheckRuleMeta(std::string_view code);

}  // namespace protean::config
