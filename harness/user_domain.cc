#include "harness/user_domain.h"

#include <fstream>
#include <sstream>
#include <variant>

#include "core/config/configuration_error.h"
#include "core/config/discovery.h"

namespace protean::harness {
namespace {

using config::ConfigurationError;
using config::ErrorLocation;

toml::table ParseUserFile(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ConfigurationError(config::kConfigNotFound, ErrorLocation{file, "", 0, 0},
                             "cannot read the domain file");
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    return toml::parse(text.str(), file);
  } catch (const toml::parse_error& e) {
    throw ConfigurationError(
        config::kConfigParseError,
        ErrorLocation{file, "", e.source().begin.line, e.source().begin.column},
        std::string(e.description()));
  }
}

void InsertValue(toml::table& table, const std::string& key, const ConfigValue& value) {
  std::visit([&](const auto& v) { table.insert_or_assign(key, v); }, value);
}

// [handlers.<Name>] for a C++ handler registered with its own stream.
toml::table HandlerTable(const HandlerCatalog::Handler& h, const std::string& file) {
  if (h.options.stream.empty()) {
    throw ConfigurationError(config::kConfigInvalidValue,
                             ErrorLocation{file, "handlers." + h.name, 0, 0},
                             "handler " + h.name +
                                 " is registered in C++ without a stream and "
                                 "the file has no [handlers." +
                                 h.name + "] table giving one");
  }
  toml::table t;
  t.insert_or_assign("stream", h.options.stream);
  if (h.options.subscription_profile) {
    t.insert_or_assign("subscription_profile", *h.options.subscription_profile);
  }
  if (!h.options.subscription_config.empty()) {
    toml::table settings;
    for (const auto& [key, value] : h.options.subscription_config) {
      InsertValue(settings, key, value);
    }
    t.insert_or_assign("subscription_config", std::move(settings));
  }
  return t;
}

}  // namespace

UserDomain LoadUserDomain(const std::string& path, const HandlerCatalog& catalog) {
  UserDomain user;
  user.file = config::FindDomainConfigFile(path).string();
  user.domain = ParseUserFile(user.file);
  if (toml::node* handlers = user.domain.get("handlers")) {
    if (!handlers->is_table()) {
      throw ConfigurationError(config::kConfigInvalidValue,
                               ErrorLocation{user.file, "handlers", 0, 0},
                               "expected a table of [handlers.<Name>] tables");
    }
    user.handlers = std::move(*handlers->as_table());
    user.domain.erase("handlers");
  }
  for (const HandlerCatalog::Handler& h : catalog.handlers()) {
    if (user.handlers.contains(h.name)) continue;
    user.handlers.insert_or_assign(h.name, HandlerTable(h, user.file));
  }
  return user;
}

}  // namespace protean::harness
