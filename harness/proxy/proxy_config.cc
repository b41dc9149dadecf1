#include "harness/proxy/proxy_config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness/proxy/internal/toxic_json.h"

namespace protean::harness::proxy {
namespace {

using nlohmann::json;

Status Bad(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + what);
}

Status CheckKeys(const json& object, const std::string& where,
                 std::initializer_list<std::string_view> allowed) {
  if (!object.is_object()) return Bad(where, "must be an object");
  for (const auto& [key, value] : object.items()) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || a == key;
    if (!ok) return Bad(where, "unknown key '" + key + "'");
  }
  return Status::Ok();
}

// Reads an unsigned integer at object[key] when present.
template <typename T>
Status ReadCount(const json& object, const char* key, const std::string& where, T* value) {
  if (!object.contains(key)) return Status::Ok();
  const json& v = object[key];
  if (!v.is_number_integer() || v.get<int64_t>() < 0) {
    return Bad(where + "." + key, "must be an integer >= 0");
  }
  *value = static_cast<T>(v.get<int64_t>());
  return Status::Ok();
}

Status ReadToxic(const json& j, const std::string& where, Toxic* out) {
  const Status s = internal::ToxicFromJson(j, out);
  return s.ok() ? s : Bad(where, s.message());
}

Status ReadTimeline(const json& list, const std::string& where, ProxySpec* spec) {
  if (!list.is_array()) return Bad(where, "must be an array");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    PROTEAN_RETURN_IF_ERROR(CheckKeys(list[i], at, {"at_ms", "duration_ms", "toxic"}));
    TimelineEntry entry;
    PROTEAN_RETURN_IF_ERROR(ReadCount(list[i], "at_ms", at, &entry.at_ms));
    PROTEAN_RETURN_IF_ERROR(ReadCount(list[i], "duration_ms", at, &entry.duration_ms));
    if (!list[i].contains("toxic")) return Bad(at, "toxic is required");
    PROTEAN_RETURN_IF_ERROR(ReadToxic(list[i]["toxic"], at + ".toxic", &entry.toxic));
    spec->timeline.push_back(std::move(entry));
  }
  return Status::Ok();
}

Status ReadProxy(const json& j, const std::string& where, ProxySpec* spec) {
  PROTEAN_RETURN_IF_ERROR(
      CheckKeys(j, where,
                {"name", "listen", "upstream", "enabled", "connections_max", "buffer_bytes_max",
                 "connect_timeout_ms", "toxics", "timeline"}));
  FaultProxyOptions& o = spec->options;
  for (const auto& [key, field] : {std::pair{"name", &o.name}, std::pair{"listen", &o.listen},
                                   std::pair{"upstream", &o.upstream}}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_string()) return Bad(where + "." + key, "must be a string");
    *field = j[key].get<std::string>();
  }
  if (!j.contains("name") || o.name.empty()) return Bad(where, "name is required");
  if (o.upstream.empty()) return Bad(where, "upstream is required");
  if (j.contains("enabled")) {
    if (!j["enabled"].is_boolean()) return Bad(where + ".enabled", "must be true or false");
    spec->enabled = j["enabled"].get<bool>();
  }
  PROTEAN_RETURN_IF_ERROR(ReadCount(j, "connections_max", where, &o.connections_max));
  PROTEAN_RETURN_IF_ERROR(ReadCount(j, "buffer_bytes_max", where, &o.buffer_bytes_max));
  int64_t connect_timeout_ms = o.connect_timeout.count();
  PROTEAN_RETURN_IF_ERROR(ReadCount(j, "connect_timeout_ms", where, &connect_timeout_ms));
  o.connect_timeout = std::chrono::milliseconds(connect_timeout_ms);
  if (o.buffer_bytes_max == 0) return Bad(where + ".buffer_bytes_max", "must be > 0");
  if (j.contains("toxics")) {
    const json& list = j["toxics"];
    if (!list.is_array()) return Bad(where + ".toxics", "must be an array");
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string at = where + ".toxics[" + std::to_string(i) + "]";
      Toxic t;
      PROTEAN_RETURN_IF_ERROR(ReadToxic(list[i], at, &t));
      if (!names.insert(t.name).second) return Bad(at, "duplicate toxic name " + t.name);
      spec->toxics.push_back(std::move(t));
    }
  }
  if (j.contains("timeline"))
    PROTEAN_RETURN_IF_ERROR(ReadTimeline(j["timeline"], where + ".timeline", spec));
  return Status::Ok();
}

}  // namespace

Status ParseProxyConfig(std::string_view text, const std::string& origin, ProxyFileConfig* out) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return Bad(origin, e.what());  // "... at line L, column C: ..."
  }
  uint64_t seed = 1;
  const json* proxies = &doc;
  if (doc.is_object()) {
    PROTEAN_RETURN_IF_ERROR(CheckKeys(doc, origin, {"seed", "proxies"}));
    PROTEAN_RETURN_IF_ERROR(ReadCount(doc, "seed", origin, &seed));
    if (!doc.contains("proxies")) return Bad(origin, "proxies is required");
    proxies = &doc["proxies"];
  }
  if (!proxies->is_array()) return Bad(origin, "proxies must be an array");
  ProxyFileConfig config;
  std::set<std::string> names;
  for (size_t i = 0; i < proxies->size(); ++i) {
    ProxySpec spec;
    spec.options.seed = seed + i;
    const std::string where = origin + ": proxies[" + std::to_string(i) + "]";
    PROTEAN_RETURN_IF_ERROR(ReadProxy((*proxies)[i], where, &spec));
    if (!names.insert(spec.options.name).second) {
      return Bad(where, "duplicate proxy name " + spec.options.name);
    }
    config.proxies.push_back(std::move(spec));
  }
  *out = std::move(config);
  return Status::Ok();
}

Status LoadProxyConfig(const std::string& path, ProxyFileConfig* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return ParseProxyConfig(text.str(), path, out);
}

Status StartProxies(const ProxyFileConfig& config,
                    std::chrono::steady_clock::time_point timeline_start,
                    std::vector<std::unique_ptr<FaultProxy>>* out) {
  std::vector<std::unique_ptr<FaultProxy>> started;
  for (const ProxySpec& spec : config.proxies) {
    auto proxy = std::make_unique<FaultProxy>(spec.options);
    for (const Toxic& t : spec.toxics) PROTEAN_RETURN_IF_ERROR(proxy->AddToxic(t));
    proxy->SetEnabled(spec.enabled);
    PROTEAN_RETURN_IF_ERROR(proxy->ScheduleTimeline(spec.timeline, timeline_start));
    PROTEAN_RETURN_IF_ERROR(proxy->Start());
    started.push_back(std::move(proxy));
  }
  *out = std::move(started);
  return Status::Ok();
}

}  // namespace protean::harness::proxy
