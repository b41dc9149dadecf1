#include "tests/config/test_util.h"

#include <toml++/toml.h>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <utility>

namespace protean::config::testing {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

DomainConfig ParseText(std::string_view text, std::map<std::string, std::string> vars,
                       std::string env) {
  LoadOptions options;
  options.env = std::move(env);
  options.env_lookup = FakeEnv(std::move(vars));
  return ParseDomainConfig(text, "domain.toml", options);
}

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::string name = "protean_config_test_" + std::to_string(::getpid()) + "_" +
                     std::to_string(counter++) + "_" +
                     std::to_string(reinterpret_cast<uintptr_t>(this) & 0xffff);
  path_ = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::Write(const std::filesystem::path& relative,
                                     std::string_view content) const {
  std::filesystem::path file = path_ / relative;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << content;
  return file;
}

std::filesystem::path TempDir::MakeDir(const std::filesystem::path& relative) const {
  std::filesystem::path dir = path_ / relative;
  std::filesystem::create_directories(dir);
  return dir;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

toml::table ParseToml(std::string_view text, std::string_view source) {
  return toml::parse(text, source);
}

}  // namespace protean::config::testing
