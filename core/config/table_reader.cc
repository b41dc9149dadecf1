#include "core/config/table_reader.h"

#include <charconv>
#include <cmath>
#include <system_error>
#include <utility>

#include <toml++/toml.h>

#include "core/config/configuration_error.h"
#include "core/config/internal/toml_util.h"

namespace protean::config {
namespace {

using internal::DescribeValue;
using internal::FormatDouble;

std::string DescribeIntRange(int64_t min, int64_t max) {
  std::string out = "an integer";
  if (min != kIntMin && max != kIntMax) {
    out += " in " + std::to_string(min) + ".." + std::to_string(max);
  } else if (min != kIntMin) {
    out += " >= " + std::to_string(min);
  } else if (max != kIntMax) {
    out += " <= " + std::to_string(max);
  }
  return out;
}

std::string DescribeDoubleRange(const DoubleRange& range) {
  std::string out = "a number";
  bool has_min = range.min != -std::numeric_limits<double>::infinity();
  bool has_max = range.max != std::numeric_limits<double>::infinity();
  std::string low = FormatDouble(range.min);
  std::string high = FormatDouble(range.max);
  if (has_min && has_max) {
    out += (range.min_exclusive ? " in (" : " in [") + low + ", " + high + "]";
  } else if (has_min) {
    out += (range.min_exclusive ? " > " : " >= ") + low;
  } else if (has_max) {
    out += " <= " + high;
  }
  return out;
}

bool InRange(double value, const DoubleRange& range) {
  if (range.min_exclusive ? !(value > range.min) : !(value >= range.min)) return false;
  return value <= range.max;
}

bool LooksNumeric(std::string_view text) {
  if (text.empty()) return false;
  double parsed = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

const toml::table& EmptyTable() {
  static const toml::table* const kEmpty = new toml::table();
  return *kEmpty;
}

}  // namespace

TableReader::TableReader(const toml::table& table, std::string file, std::string key_prefix)
    : table_(&table), file_(std::move(file)), key_prefix_(std::move(key_prefix)) {}

bool TableReader::Has(std::string_view key) const { return table_->contains(key); }

std::vector<std::string> TableReader::Keys() const {
  std::vector<std::string> keys;
  for (const auto& [key, node] : *table_) keys.emplace_back(key.str());
  return keys;
}

std::string TableReader::KeyPath(std::string_view key) const {
  return internal::JoinKeyPath(key_prefix_, key);
}

const toml::node* TableReader::Take(std::string_view key) {
  read_.emplace(key);
  return table_->get(key);
}

void TableReader::Fail(std::string_view key, std::string_view code, std::string message) const {
  const toml::node* node = table_->get(key);
  internal::ThrowAt(code, node != nullptr ? node : table_, file_, KeyPath(key), std::move(message));
}

void TableReader::FailHere(std::string_view code, std::string message) const {
  internal::ThrowAt(code, table_, file_, key_prefix_, std::move(message));
}

void TableReader::FailType(std::string_view key, const toml::node& node,
                           std::string_view expected) const {
  std::string message = "expected " + std::string(expected) + ", got " + DescribeValue(node);
  if (node.is_string() && LooksNumeric(node.as_string()->get()) &&
      !expected.starts_with("a string") && !expected.starts_with("one of")) {
    // Typically "${VAR|5}": substitution always yields a string.
    message += " (a quoted or substituted value is a string; write the number unquoted)";
  }
  internal::ThrowAt(kConfigInvalidValue, &node, file_, KeyPath(key), std::move(message));
}

double TableReader::NumberOf(std::string_view key, const toml::node& node,
                             std::string_view expected) const {
  if (node.is_integer()) return static_cast<double>(node.as_integer()->get());
  if (node.is_floating_point()) return node.as_floating_point()->get();
  FailType(key, node, expected);
}

void TableReader::FailIfProblem(std::string_view key, const toml::node& node,
                                const std::optional<std::string>& problem) const {
  if (!problem) return;
  internal::ThrowAt(kConfigInvalidValue, &node, file_, KeyPath(key),
                    *problem + ", got " + DescribeValue(node));
}

std::optional<bool> TableReader::OptionalBool(std::string_view key) {
  const toml::node* node = Take(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_boolean()) FailType(key, *node, "a boolean");
  return node->as_boolean()->get();
}

bool TableReader::Bool(std::string_view key, bool default_value) {
  return OptionalBool(key).value_or(default_value);
}

std::optional<int64_t> TableReader::OptionalInt(std::string_view key, int64_t min, int64_t max) {
  const toml::node* node = Take(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_integer()) FailType(key, *node, DescribeIntRange(min, max));
  int64_t value = node->as_integer()->get();
  if (value < min || value > max) FailType(key, *node, DescribeIntRange(min, max));
  return value;
}

int64_t TableReader::Int(std::string_view key, int64_t default_value, int64_t min, int64_t max) {
  return OptionalInt(key, min, max).value_or(default_value);
}

int64_t TableReader::RequiredInt(std::string_view key, int64_t min, int64_t max) {
  std::optional<int64_t> value = OptionalInt(key, min, max);
  if (!value) Fail(key, kConfigInvalidValue, "missing required key " + Quoted(key));
  return *value;
}

std::optional<double> TableReader::OptionalDouble(std::string_view key, DoubleRange range) {
  const toml::node* node = Take(key);
  if (node == nullptr) return std::nullopt;
  const double value = NumberOf(key, *node, DescribeDoubleRange(range));
  if (!std::isfinite(value) || !InRange(value, range)) {
    FailType(key, *node, DescribeDoubleRange(range));
  }
  return value;
}

double TableReader::Double(std::string_view key, double default_value, DoubleRange range) {
  return OptionalDouble(key, range).value_or(default_value);
}

double TableReader::RequiredDouble(std::string_view key, DoubleRange range) {
  std::optional<double> value = OptionalDouble(key, range);
  if (!value) Fail(key, kConfigInvalidValue, "missing required key " + Quoted(key));
  return *value;
}

std::optional<double> TableReader::ReadOptionalDuration(std::string_view key,
                                                        const DurationBounds& bounds) {
  const toml::node* node = Take(key);
  if (node == nullptr) return std::nullopt;
  const double value = NumberOf(key, *node, DescribeDuration(bounds));
  FailIfProblem(key, *node, DurationProblem(value, bounds));
  return value;
}

double TableReader::ReadDuration(std::string_view key, double default_value,
                                 const DurationBounds& bounds) {
  return ReadOptionalDuration(key, bounds).value_or(default_value);
}

std::optional<int64_t> TableReader::ReadOptionalCount(std::string_view key,
                                                      const CountBounds& bounds) {
  const toml::node* node = Take(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_integer()) FailType(key, *node, DescribeCount(bounds));
  const int64_t value = node->as_integer()->get();
  FailIfProblem(key, *node, CountProblem(value, bounds));
  return value;
}

int64_t TableReader::ReadCount(std::string_view key, int64_t default_value,
                               const CountBounds& bounds) {
  return ReadOptionalCount(key, bounds).value_or(default_value);
}

std::optional<std::string> TableReader::OptionalString(std::string_view key) {
  const toml::node* node = Take(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_string()) FailType(key, *node, "a string");
  return node->as_string()->get();
}

std::string TableReader::String(std::string_view key, std::string_view default_value) {
  std::optional<std::string> value = OptionalString(key);
  return value ? std::move(*value) : std::string(default_value);
}

std::string TableReader::RequiredString(std::string_view key) {
  std::optional<std::string> value = OptionalString(key);
  if (!value) Fail(key, kConfigInvalidValue, "missing required key " + Quoted(key));
  if (value->empty()) Fail(key, kConfigInvalidValue, "expected a non-empty string, got \"\"");
  return std::move(*value);
}

std::optional<std::string> TableReader::OptionalEnum(std::string_view key,
                                                     std::span<const std::string_view> allowed) {
  std::optional<std::string> value = OptionalString(key);
  if (!value) return std::nullopt;
  for (std::string_view candidate : allowed) {
    if (*value == candidate) return value;
  }
  std::string expected = "one of";
  for (size_t i = 0; i < allowed.size(); ++i) {
    expected += (i == 0 ? " " : ", ") + QuoteForMessage(allowed[i]);
  }
  FailType(key, *table_->get(key), expected);
}

std::string TableReader::Enum(std::string_view key, std::string_view default_value,
                              std::span<const std::string_view> allowed) {
  std::optional<std::string> value = OptionalEnum(key, allowed);
  return value ? std::move(*value) : std::string(default_value);
}

std::optional<std::vector<std::string>> TableReader::OptionalStringArray(std::string_view key) {
  const toml::node* node = Take(key);
  if (node == nullptr) return std::nullopt;
  const toml::array* array = node->as_array();
  if (array == nullptr) FailType(key, *node, "an array of strings");
  std::vector<std::string> items;
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    if (!item.is_string()) {
      internal::ThrowAt(kConfigInvalidValue, &item, file_, internal::JoinIndex(KeyPath(key), i),
                        "expected a string, got " + DescribeValue(item));
    }
    items.push_back(item.as_string()->get());
  }
  return items;
}

std::vector<std::string> TableReader::StringArray(std::string_view key) {
  return OptionalStringArray(key).value_or(std::vector<std::string>{});
}

std::optional<TableReader> TableReader::OptionalTable(std::string_view key) {
  const toml::node* node = Take(key);
  if (node == nullptr) return std::nullopt;
  if (!node->is_table()) FailType(key, *node, "a table");
  return TableReader(*node->as_table(), file_, KeyPath(key));
}

TableReader TableReader::Table(std::string_view key) {
  std::optional<TableReader> child = OptionalTable(key);
  if (child) return std::move(*child);
  return TableReader(EmptyTable(), file_, KeyPath(key));
}

const toml::node* TableReader::Node(std::string_view key) { return Take(key); }

void TableReader::Ignore(std::string_view key) { read_.emplace(key); }

std::vector<std::string> TableReader::UnreadKeys() const {
  std::vector<std::string> keys;
  for (const auto& [key, node] : *table_) {
    if (read_.find(key.str()) == read_.end()) keys.emplace_back(key.str());
  }
  return keys;
}

void TableReader::RejectUnknownKeys() const {
  for (const auto& [key, node] : *table_) {
    if (read_.find(key.str()) == read_.end()) {
      internal::ThrowAt(kConfigInvalidValue, &node, file_, KeyPath(key.str()),
                        "unknown key " + Quoted(key.str()));
    }
  }
}

}  // namespace protean::config
