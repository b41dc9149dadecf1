#include "core/config/priority_lanes.h"

#include <toml++/toml.h>

namespace protean::config {

std::optional<std::string> BackfillDlqStream(const DomainConfig& config, std::string_view stream) {
  if (config.table == nullptr) return std::nullopt;
  const toml::node* enabled = config.table->at_path("server.priority_lanes.enabled").node();
  if (enabled == nullptr || !enabled->value_exact<bool>().value_or(false)) return std::nullopt;
  const toml::node* suffix = config.table->at_path("server.priority_lanes.backfill_suffix").node();
  const std::string lane =
      suffix != nullptr ? suffix->value_exact<std::string>().value_or("backfill") : "backfill";
  return std::string(stream) + ":" + lane + ":dlq";
}

}  // namespace protean::config
