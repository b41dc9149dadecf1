#pragma once
// Finding the domain.toml to load, Protean's way.
//
// `path` names either a file (used as is, whatever its name) or a folder. In
// a folder the loader looks for `.domain.toml`, then `domain.toml`, in the
// folder itself and then in up to kDiscoveryParentsMax parent folders; the
// first hit wins. (Protean also reads `[tool.protean]` from pyproject.toml;
// this implementation does not.) Nothing found, or `path` does not exist ->
// ConfigurationError CONFIG_NOT_FOUND naming every place searched. Unlike
// Protean there is no silent fall-back to defaults.

#include <filesystem>
#include <string_view>
#include <vector>

namespace protean::config {

inline constexpr int kDiscoveryParentsMax = 2;

// File names tried in each folder, in order.
std::vector<std::string_view> ConfigFileNames();

// The file to load. A hit in `path` itself is returned as `path / name`
// (keeping a relative path relative); hits in parents are absolute.
std::filesystem::path FindDomainConfigFile(const std::filesystem::path& path);

}  // namespace protean::config
