#include "core/config/discovery.h"

#include <string>
#include <system_error>

#include "core/config/configuration_error.h"

namespace protean::config {
namespace {

namespace fs = std::filesystem;

// `path` without a trailing separator ("examples/" -> "examples").
fs::path Normalized(const fs::path& path) {
  fs::path normal = path.lexically_normal();
  if (!normal.has_filename() && normal.has_parent_path() && normal != normal.root_path()) {
    normal = normal.parent_path();
  }
  return normal.empty() ? fs::path(".") : normal;
}

bool IsFile(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

}  // namespace

std::vector<std::string_view> ConfigFileNames() { return {".domain.toml", "domain.toml"}; }

fs::path FindDomainConfigFile(const fs::path& path) {
  std::error_code ec;
  fs::path start = Normalized(path);
  fs::file_status status = fs::status(start, ec);
  if (ec || !fs::exists(status)) {
    throw ConfigurationError(kConfigNotFound, ErrorLocation{start.string(), "", 0, 0},
                             "no such file or directory");
  }
  if (!fs::is_directory(status)) return start;

  std::vector<fs::path> folders = {start};
  fs::path absolute = fs::weakly_canonical(fs::absolute(start, ec), ec);
  for (int i = 0; i < kDiscoveryParentsMax && !ec; ++i) {
    if (!absolute.has_parent_path() || absolute.parent_path() == absolute) break;
    absolute = absolute.parent_path();
    folders.push_back(absolute);
  }

  std::string searched;
  for (const fs::path& folder : folders) {
    for (std::string_view name : ConfigFileNames()) {
      fs::path candidate = folder / name;
      if (IsFile(candidate)) return candidate;
    }
    if (!searched.empty()) searched += ", ";
    searched += folder.string();
  }
  throw ConfigurationError(kConfigNotFound, ErrorLocation{start.string(), "", 0, 0},
                           "no .domain.toml or domain.toml found in " + searched);
}

}  // namespace protean::config
