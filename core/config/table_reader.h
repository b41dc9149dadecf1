#pragma once
// TableReader: typed, validated reads from one toml++ table.
//
// Used for domain.toml sections here, by the engine for subscription configs
// and by the harness for scenario files. Every failed read throws a
// ConfigurationError (CONFIG_INVALID_VALUE unless stated) that names the
// file, the full dotted key path (`key_prefix` + key) and the value's
// line:column when toml++ kept it (a node's own source path wins over the
// `file` given here, so tables merged from several files report correctly).
//
// Type rules: Int accepts only TOML integers; Double accepts integers and
// finite floats (nan and inf are rejected); Bool only booleans; String only strings. Ranges are
// inclusive unless DoubleRange::min_exclusive is set. A key that is absent yields the default (or
// nullopt); a key that is present with the wrong type is an error, never a silent default.
//
// The reader remembers which keys were read (or Ignore()d), so
// RejectUnknownKeys() can reject typos like `prot = 8080` with
// "unknown key 'prot'". Child readers (Table) track their own keys.
//
// Lifetime: `table` must outlive the reader and its children. Not
// thread-safe (reads mutate the read-key set).

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/bounds.h"
#include "core/config/toml_fwd.h"

namespace protean::config {

inline constexpr int64_t kIntMin = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kIntMax = std::numeric_limits<int64_t>::max();

struct DoubleRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;  // true: value must be > min (e.g. a timeout > 0)
};

class TableReader {
 public:
  TableReader(const toml::table& table, std::string file, std::string key_prefix);

  // Presence and listing; these do not mark keys as read.
  bool Has(std::string_view key) const;
  std::vector<std::string> Keys() const;

  bool Bool(std::string_view key, bool default_value);
  std::optional<bool> OptionalBool(std::string_view key);

  int64_t Int(std::string_view key, int64_t default_value, int64_t min = kIntMin,
              int64_t max = kIntMax);
  std::optional<int64_t> OptionalInt(std::string_view key, int64_t min = kIntMin,
                                     int64_t max = kIntMax);
  int64_t RequiredInt(std::string_view key, int64_t min = kIntMin, int64_t max = kIntMax);

  double Double(std::string_view key, double default_value, DoubleRange range = {});
  std::optional<double> OptionalDouble(std::string_view key, DoubleRange range = {});
  double RequiredDouble(std::string_view key, DoubleRange range = {});

  // The shared bounds of core/config/bounds.h. A duration is an integer or a
  // float in the key's own unit (bounds in that unit too); a count an integer.
  // Messages: "expected a number > 0, got inf", "expected at least 0.1
  // (why), got 1e-09", "expected at most 1e+09, got 1e+12", "expected an
  // integer >= 1, got 0", "expected an integer <= 256, got 300".
  double ReadDuration(std::string_view key, double default_value, const DurationBounds& bounds);
  std::optional<double> ReadOptionalDuration(std::string_view key, const DurationBounds& bounds);
  int64_t ReadCount(std::string_view key, int64_t default_value, const CountBounds& bounds);
  std::optional<int64_t> ReadOptionalCount(std::string_view key, const CountBounds& bounds);

  std::string String(std::string_view key, std::string_view default_value);
  std::optional<std::string> OptionalString(std::string_view key);
  // Absent or empty is an error ("missing required key 'provider'").
  std::string RequiredString(std::string_view key);

  // A string that must be one of `allowed` (case-sensitive).
  std::string Enum(std::string_view key, std::string_view default_value,
                   std::span<const std::string_view> allowed);
  std::optional<std::string> OptionalEnum(std::string_view key,
                                          std::span<const std::string_view> allowed);

  // An array whose items are all strings; absent -> empty / nullopt.
  std::vector<std::string> StringArray(std::string_view key);
  std::optional<std::vector<std::string>> OptionalStringArray(std::string_view key);

  // A child table. Absent -> a reader over an empty table (its reads all
  // yield defaults); present but not a table -> error.
  TableReader Table(std::string_view key);
  std::optional<TableReader> OptionalTable(std::string_view key);

  // The raw node (nullptr when absent), marked as read, for callers that
  // interpret it themselves.
  const toml::node* Node(std::string_view key);

  // Marks `key` as read without reading it.
  void Ignore(std::string_view key);

  // Keys (in key order) never read or ignored through this reader.
  std::vector<std::string> UnreadKeys() const;

  // Throws "unknown key 'foo'" for the first key (in key order) never read
  // or ignored through this reader.
  void RejectUnknownKeys() const;

  // Throws a ConfigurationError of `code` at `key` (its node's position when
  // present, else the table's).
  [[noreturn]] void Fail(std::string_view key, std::string_view code, std::string message) const;
  // Throws at the table itself (key path = key_prefix).
  [[noreturn]] void FailHere(std::string_view code, std::string message) const;

  std::string KeyPath(std::string_view key) const;
  const std::string& key_prefix() const { return key_prefix_; }
  const std::string& file() const { return file_; }
  const toml::table& table() const { return *table_; }

 private:
  // Marks and returns the node at `key`, or nullptr.
  const toml::node* Take(std::string_view key);
  [[noreturn]] void FailType(std::string_view key, const toml::node& node,
                             std::string_view expected) const;
  // An integer or float node as a double; otherwise "expected <expected>".
  double NumberOf(std::string_view key, const toml::node& node, std::string_view expected) const;
  // Throws "<problem>, got <value>" at `node` when `problem` is set.
  void FailIfProblem(std::string_view key, const toml::node& node,
                     const std::optional<std::string>& problem) const;

  const toml::table* table_;
  std::string file_;
  std::string key_prefix_;
  std::set<std::string, std::less<>> read_;
};

}  // namespace protean::config
