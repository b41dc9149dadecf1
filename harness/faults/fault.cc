#include "harness/faults/fault.h"

#include <toml++/toml.h>

#include "core/config/configuration_error.h"

namespace protean::harness {

IntRange ReadRange(config::TableReader& r, std::string_view key, IntRange fallback, int64_t min,
                   int64_t max) {
  const toml::node* n = r.Node(key);
  if (n == nullptr) return fallback;
  if (auto v = n->value_exact<int64_t>()) {
    if (*v < min) r.Fail(key, config::kConfigInvalidValue, "must be >= " + std::to_string(min));
    if (*v > max) r.Fail(key, config::kConfigInvalidValue, "must be <= " + std::to_string(max));
    return IntRange{*v, *v};
  }
  if (const toml::array* a = n->as_array(); a != nullptr && a->size() == 2) {
    auto lo = (*a)[0].value_exact<int64_t>();
    auto hi = (*a)[1].value_exact<int64_t>();
    if (lo && hi && *lo >= min && *lo <= *hi && *hi <= max) return IntRange{*lo, *hi};
  }
  r.Fail(key, config::kConfigInvalidValue,
         "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
             "] or [lo, hi] with lo <= hi inside it");
}

PlannedFault Fault::Plan(Prng& prng) const {
  PlannedFault p;
  p.fault = this;
  p.at_ms = at_ms.Draw(prng);
  if (shape_.windowed) p.duration_ms = duration_ms.Draw(prng);
  p.instance = instance;
  PlanOwn(prng, p);
  return p;
}

}  // namespace protean::harness
