#include "core/config/pass_through.h"

#include <variant>

namespace protean::config {
namespace {

const PassThroughValue* Find(const PassThroughKeys& keys, std::string_view key) {
  auto it = keys.find(std::string(key));
  return it == keys.end() ? nullptr : &it->second;
}

Status Bad(const std::string& section, std::string_view key, std::string_view expected) {
  return Status::InvalidArgument(section + "." + std::string(key) + ": expected " +
                                 std::string(expected));
}

}  // namespace

void SetPassThrough(PassThroughKeys& keys, const std::string& key, ConfigValue value) {
  PassThroughValue v;
  v.entry.key = key;
  v.entry.value = std::move(value);
  v.entry.origin.key_path = key;
  keys.insert_or_assign(key, std::move(v));
}

Result<std::optional<std::string>> PassThroughString(const PassThroughKeys& keys,
                                                     const std::string& section,
                                                     std::string_view key) {
  const PassThroughValue* v = Find(keys, key);
  if (v == nullptr) return std::optional<std::string>();
  const auto* s = std::get_if<std::string>(&v->entry.value);
  if (s == nullptr || v->compound) return Bad(section, key, "a string");
  return std::optional<std::string>(*s);
}

Result<std::optional<bool>> PassThroughBool(const PassThroughKeys& keys, const std::string& section,
                                            std::string_view key) {
  const PassThroughValue* v = Find(keys, key);
  if (v == nullptr) return std::optional<bool>();
  const auto* b = std::get_if<bool>(&v->entry.value);
  if (b == nullptr) return Bad(section, key, "a bool");
  return std::optional<bool>(*b);
}

Result<std::optional<double>> PassThroughNumber(const PassThroughKeys& keys,
                                                const std::string& section, std::string_view key) {
  const PassThroughValue* v = Find(keys, key);
  if (v == nullptr) return std::optional<double>();
  if (const auto* d = std::get_if<double>(&v->entry.value)) return std::optional<double>(*d);
  if (const auto* i = std::get_if<int64_t>(&v->entry.value)) {
    return std::optional<double>(static_cast<double>(*i));
  }
  return Bad(section, key, "a number");
}

}  // namespace protean::config
