#include "harness/declared_policy.h"

namespace protean::harness {
namespace {

nlohmann::ordered_json ToJson(const toml::node& node) {
  if (const toml::table* t = node.as_table()) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (auto&& [key, value] : *t) out[std::string(key.str())] = ToJson(value);
    return out;
  }
  if (const toml::array* a = node.as_array()) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const toml::node& item : *a) out.push_back(ToJson(item));
    return out;
  }
  if (auto v = node.value_exact<int64_t>()) return *v;
  if (auto v = node.value_exact<double>()) return *v;
  if (auto v = node.value_exact<bool>()) return *v;
  if (auto v = node.value_exact<std::string>()) return *v;
  return nullptr;  // dates and times carry no policy
}

}  // namespace

nlohmann::ordered_json DeclaredPolicyJson(const Scenario& scenario) {
  nlohmann::ordered_json out;
  const toml::node* server = scenario.domain.get("server");
  out["server"] =
      server != nullptr && server->is_table() ? ToJson(*server) : nlohmann::ordered_json::object();
  out["handlers"] = ToJson(scenario.handlers);
  return out;
}

}  // namespace protean::harness
