#pragma once
// The output formats of `protean check`, after Protean's cli/check.py.
//
//  json    Protean's CLI result envelope (cli/result.py), keys sorted, indent 2:
//          {"version":"0.1.0","status":"pass|fail|error","data":{"domain",
//           "status":"pass|info|warn|fail","counts":{"errors","warnings",
//           "infos"},"errors":[...]},"diagnostics":[...]}. Error-level
//          findings are data.errors (Protean's validator errors), warnings and
//          infos the diagnostics. Each record has Protean's keys (code,
//          category, element = the key path, level, message, rule {rationale,
//          fix}, suggestion) plus ours: key_path, file, line, column and
//          location ("file:line:col"). A configuration that did not load is
//          {"status":"error","data":{"error":LINE},"diagnostics":[]}.
//          The envelope status follows the exit code: error for 2.
//  sarif   SARIF 2.1.0: one run, tool.driver "protean" with a rule per code,
//          a result per finding with ruleId, level (error|warning|note),
//          message.text and, where the finding has a file, a physicalLocation
//          (uri relative to $GITHUB_WORKSPACE, else the working directory;
//          region startLine/startColumn when known).
//  github-annotations
//          one workflow command per finding: "::error file=F,line=L,col=C,
//          title=CODE::RULE [CODE] key: message" (::warning, ::notice for
//          info), properties and message escaped as @actions/core does.
//  text    one line per finding ("file:line:col: warning CODE key: message"),
//          then Protean's quiet line "FILE: warn (errors=0, warnings=1,
//          infos=0)". --level hides findings below it (text only, as
//          Protean's --level filters only its human views); --quiet prints
//          only the last line.
//
// Machine formats are never filtered by --level. Nothing here decides the
// exit code (CheckReport::ExitCode does).

#include <string>
#include <string_view>

#include "core/config/check.h"

namespace protean::cli {

inline constexpr std::string_view kSarifSchema =
    "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/"
    "sarif-schema-2.1.0.json";

// Protean's fine-grained status of the findings shown: fail (errors), warn,
// info or pass; fail too when `gates` and nothing is shown.
std::string_view FineStatus(int errors, int warnings, int infos, bool gates);

// `load_error`: the one-line error of a configuration that did not load ("" otherwise).
std::string CheckEnvelopeJson(const config::CheckReport& report, const std::string& load_error);
// `base`: the folder locations are made relative to.
std::string CheckSarif(const config::CheckReport& report, const std::string& base);
std::string CheckAnnotations(const config::CheckReport& report, const std::string& base);
// Findings at `level` or above, then the summary line; only the summary when `quiet`.
std::string CheckText(const config::CheckReport& report, config::FindingLevel level, bool quiet);

// $GITHUB_WORKSPACE when set and not empty, else the working directory.
std::string LocationBase();

}  // namespace protean::cli
