#include "core/config/merge.h"

#include <utility>

#include <toml++/toml.h>

namespace protean::config {

void DeepMerge(toml::table& base, toml::table&& overlay) {
  for (auto&& [key, node] : overlay) {
    toml::node* existing = base.get(key.str());
    toml::table* overlay_table = node.as_table();
    if (overlay_table != nullptr && existing != nullptr && existing->is_table()) {
      DeepMerge(*existing->as_table(), std::move(*overlay_table));
    } else {
      // A node&& is moved into a new node of the same concrete type, which
      // keeps its source region.
      base.insert_or_assign(key, std::move(node));
    }
  }
}

void DeepMerge(toml::table& base, const toml::table& overlay) {
  toml::table copy = overlay;
  DeepMerge(base, std::move(copy));
}

}  // namespace protean::config
