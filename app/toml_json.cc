#include "app/toml_json.h"

#include <sstream>
#include <string>

namespace protean::config {
namespace {

template <typename T>
std::string TomlText(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

nlohmann::json TomlToJson(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& [key, child] : *node.as_table()) object[key.str()] = TomlToJson(child);
      return object;
    }
    case toml::node_type::array: {
      nlohmann::json array = nlohmann::json::array();
      for (const toml::node& item : *node.as_array()) array.push_back(TomlToJson(item));
      return array;
    }
    case toml::node_type::string:
      return node.as_string()->get();
    case toml::node_type::integer:
      return node.as_integer()->get();
    case toml::node_type::floating_point:
      return node.as_floating_point()->get();
    case toml::node_type::boolean:
      return node.as_boolean()->get();
    case toml::node_type::date:
      return TomlText(node.as_date()->get());
    case toml::node_type::time:
      return TomlText(node.as_time()->get());
    case toml::node_type::date_time:
      return TomlText(node.as_date_time()->get());
    case toml::node_type::none:
      break;
  }
  return nullptr;
}

}  // namespace protean::config
