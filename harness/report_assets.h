#pragma once
// The CSS and JavaScript of the HTML report's pages (harness/report_assets/),
// embedded into the binary at build time (report_assets/embed.cmake writes
// report_assets_data.cc in the build folder), so that protean-harness writes
// self-contained pages without reading anything beside itself.

#include <string>
#include <string_view>

namespace protean::harness {

// The text of the asset file `name` ("report.css", "timeline.js", ...).
// Aborts (PROTEAN_CHECK) on a name that was not embedded: a build error.
std::string ReportAsset(std::string_view name);

}  // namespace protean::harness
