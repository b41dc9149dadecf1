#pragma once
// Private to the harness's reports (report.cc, html_report*.cc): one case of
// the JSON summary as JSON, so that the summary and the HTML report's pages
// carry the same fields under the same names.

#include <nlohmann/json.hpp>

#include "harness/report.h"

namespace protean::harness::internal {

// suite, scenario, file, mode, seed, status, skip_reason, failures,
// sim_seconds, wall_seconds, events, replay, history.
nlohmann::ordered_json CaseToJson(const CaseResult& r);
// The inverse; absent fields keep CaseResult's defaults.
CaseResult CaseFromJson(const nlohmann::ordered_json& c);

}  // namespace protean::harness::internal
