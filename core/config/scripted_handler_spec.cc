#include "core/config/scripted_handler_spec.h"

#include <cstdint>
#include <exception>
#include <stdexcept>

#include <toml++/toml.h>

#include "core/config/alert_callback_spec.h"
#include "core/config/bounds.h"
#include "core/config/configuration_error.h"
#include "core/config/subscription_resolver.h"

namespace protean {
namespace {

ConfigOrigin OriginAt(const config::TableReader& r, const std::string& key, const toml::node& n) {
  return ConfigOrigin{r.file(), r.KeyPath(key), static_cast<int>(n.source().begin.line),
                      static_cast<int>(n.source().begin.column)};
}

void ParseProbability(config::TableReader& r, ScriptedHandlerSpec& spec) {
  const toml::node* n = r.Node("fail_probability");
  if (n == nullptr) return;
  const auto text = n->value_exact<std::string>();
  const std::string bad = "expected \"p/q\" with integers 0 <= p <= q, q > 0";
  if (!text) r.Fail("fail_probability", config::kConfigInvalidValue, bad);
  const auto slash = text->find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t used = 0;
    const long long p = std::stoll(text->substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("p");
    const std::string qs = text->substr(slash + 1);
    const long long q = std::stoll(qs, &used);
    if (used != qs.size() || p < 0 || q <= 0 || p > q) throw std::invalid_argument("range");
    spec.fail_numerator = static_cast<uint64_t>(p);
    spec.fail_denominator = static_cast<uint64_t>(q);
  } catch (const std::exception&) {
    r.Fail("fail_probability", config::kConfigInvalidValue,
           bad + ", got " + config::QuoteForMessage(*text));
  }
}

void ParseDuration(config::TableReader& r, ScriptedHandlerSpec& spec) {
  const toml::node* n = r.Node("duration_ms");
  if (n == nullptr) return;
  if (auto v = n->value_exact<int64_t>()) {
    if (*v < 0) r.Fail("duration_ms", config::kConfigInvalidValue, "must be >= 0");
    if (*v > config::kDurationMillisMax) {
      r.Fail("duration_ms", config::kConfigInvalidValue,
             "expected at most " + std::to_string(config::kDurationMillisMax) + " ms");
    }
    spec.duration_min_ms = spec.duration_max_ms = *v;
    return;
  }
  const toml::array* a = n->as_array();
  if (a != nullptr && a->size() == 2) {
    auto lo = (*a)[0].value_exact<int64_t>();
    auto hi = (*a)[1].value_exact<int64_t>();
    if (lo && hi && *lo >= 0 && *lo <= *hi && *hi <= config::kDurationMillisMax) {
      spec.duration_min_ms = *lo;
      spec.duration_max_ms = *hi;
      return;
    }
  }
  r.Fail("duration_ms", config::kConfigInvalidValue,
         "expected an integer in 0.." + std::to_string(config::kDurationMillisMax) +
             " or [lo, hi] with 0 <= lo <= hi in that range");
}

// `key = [[from_ms, until_ms(, extra_ms)], ...]` with 0 <= from_ms <= until_ms
// and extra_ms >= 0; `with_extra` says whether the third item is required.
std::vector<ScriptedWindow> ParseWindows(config::TableReader& r, std::string_view key,
                                         bool with_extra) {
  std::vector<ScriptedWindow> out;
  const toml::node* n = r.Node(key);
  if (n == nullptr) return out;
  const std::string shape = with_extra ? "[from_ms, until_ms, extra_ms]" : "[from_ms, until_ms]";
  const std::string bad = "expected an array of " + shape +
                          " (ms since the Unix epoch, 0 <= from_ms <= until_ms" +
                          (with_extra ? ", extra_ms >= 0)" : ")");
  const toml::array* windows = n->as_array();
  if (windows == nullptr) r.Fail(key, config::kConfigInvalidValue, bad);
  const size_t width = with_extra ? 3 : 2;
  for (size_t i = 0; i < windows->size(); ++i) {
    const toml::array* w = (*windows)[i].as_array();
    std::vector<int64_t> v;
    for (size_t k = 0; w != nullptr && k < w->size(); ++k) {
      if (auto x = (*w)[k].value_exact<int64_t>(); x && *x >= 0) v.push_back(*x);
    }
    if (w == nullptr || w->size() != width || v.size() != width || v[0] > v[1]) {
      r.Fail(key, config::kConfigInvalidValue, bad + "; item " + std::to_string(i) + " is not");
    }
    out.push_back(ScriptedWindow{v[0], v[1], with_extra ? v[2] : 0});
  }
  return out;
}

}  // namespace

ScriptedHandlerSpec ParseScriptedHandler(config::TableReader& r, const std::string& name) {
  ScriptedHandlerSpec spec;
  spec.name = name;
  spec.stream = r.RequiredString("stream");
  if (std::optional<std::string> fqn = r.OptionalString("fqn")) {
    if (!config::IsDottedName(*fqn)) {
      r.Fail("fqn", config::kConfigInvalidValue,
             "expected a dotted identifier, Protean's fully qualified name of the handler "
             "class (like \"app.handlers.OrderHandler\"), got " +
                 config::QuoteForMessage(*fqn));
    }
    spec.fqn = std::move(*fqn);
  }
  spec.fail_first = r.ReadCount("fail_first", 0, config::CountBounds{0, config::kCountMax});
  ParseProbability(r, spec);
  spec.fail_types = r.StringArray("fail_types");
  spec.undecodable_types = r.StringArray("undecodable_types");
  ParseDuration(r, spec);
  spec.record = r.Bool("record", false);
  if (auto seed = r.ReadOptionalCount("decision_seed", config::CountBounds{0, INT64_MAX})) {
    spec.decision_seed = static_cast<uint64_t>(*seed);
  }
  spec.fail_between = ParseWindows(r, "fail_between", false);
  spec.slow_between = ParseWindows(r, "slow_between", true);
  if (const toml::node* p = r.Node("subscription_profile")) {
    auto s = p->value_exact<std::string>();
    if (!s) r.Fail("subscription_profile", config::kConfigInvalidValue, "expected a string");
    spec.profile = ConfigEntry{"profile", *s, OriginAt(r, "subscription_profile", *p)};
  }
  if (const toml::node* t = r.Node("subscription_config")) {
    const toml::table* table = t->as_table();
    if (table == nullptr) {
      r.Fail("subscription_config", config::kConfigInvalidValue, "expected a table");
    }
    spec.subscription_config = LayerFromToml(*table, r.file(), r.KeyPath("subscription_config"));
  }
  r.RejectUnknownKeys();
  return spec;
}

std::vector<ScriptedHandlerSpec> ReadScriptedHandlers(const config::DomainConfig& config) {
  std::vector<ScriptedHandlerSpec> out;
  config::TableReader handlers = config::SectionReader(config, "handlers");
  for (const std::string& name : handlers.Keys()) {
    config::TableReader r = handlers.Table(name);
    out.push_back(ParseScriptedHandler(r, name));
  }
  return out;
}

}  // namespace protean
