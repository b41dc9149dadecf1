#pragma once
// Fault kinds by name. BuiltinFaults() holds the catalogue of
// scenarios/README.md; adding a kind is one file in harness/faults/ (its
// class and a Register function) plus one line in fault_registry.cc.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/faults/fault.h"

namespace protean::harness {

class FaultRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Fault>()>;

  // `T` has a default constructor and `static constexpr std::string_view
  // kName`; a name registered twice aborts.
  template <typename T>
  void Add() {
    Add(T::kName, [] { return std::make_unique<T>(); });
  }
  void Add(std::string_view name, Factory factory);

  // nullptr for an unknown name.
  std::unique_ptr<Fault> Create(std::string_view name) const;
  std::vector<std::string_view> names() const;  // sorted

 private:
  std::map<std::string, Factory, std::less<>> factories_;
};

// The built-in kinds; built once, read-only afterwards (thread-safe).
const FaultRegistry& BuiltinFaults();

// Reads one [[faults]] table: `kind` (a registered name), the shared keys of
// its shape, then the kind's own keys; checks that the fault ends by
// heal_at_ms and rejects unknown keys. Throws ConfigurationError.
std::shared_ptr<const Fault> ParseFault(config::TableReader& r, const FaultParseContext& context,
                                        const FaultRegistry& registry = BuiltinFaults());

}  // namespace protean::harness
