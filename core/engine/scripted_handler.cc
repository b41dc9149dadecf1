#include "core/engine/scripted_handler.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/database.h"
#include "core/engine/internal/call_isolated.h"

namespace protean {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool Covers(const ScriptedWindow& w, TimePoint t) {
  return t >= FromMillis(w.from_ms) && t < FromMillis(w.until_ms);
}

bool InFailWindow(const ScriptedHandlerSpec& spec, TimePoint t) {
  for (const ScriptedWindow& w : spec.fail_between) {
    if (Covers(w, t)) return true;
  }
  return false;
}

Duration SlowWindowsExtra(const ScriptedHandlerSpec& spec, TimePoint t) {
  Duration extra{0};
  for (const ScriptedWindow& w : spec.slow_between) {
    if (Covers(w, t)) extra += Millis(w.extra_ms);
  }
  return extra;
}

// What a decision is for (the salt of its hash).
constexpr uint64_t kDurationSalt = 1;
constexpr uint64_t kFailureSalt = 2;

uint64_t Mix(uint64_t z) {  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t Fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ULL;
  return (h ^ 0xFF) * 0x100000001B3ULL;  // a terminator: ("ab","c") != ("a","bc")
}

}  // namespace

std::string_view DecisionKey(std::string_view message_id) {
  if (message_id.size() == 36 && message_id[8] == '-' && message_id[23] == '-') {
    return message_id.substr(0, 28);
  }
  return message_id;
}

uint64_t ScriptedDecision(uint64_t seed, const std::string& handler, std::string_view message_id,
                          int64_t attempt, uint64_t salt) {
  uint64_t h = Fnv1a(Fnv1a(0xCBF29CE484222325ULL, handler), DecisionKey(message_id));
  h = Mix(h ^ Mix(seed + 0x9E3779B97F4A7C15ULL));
  h = Mix(h ^ static_cast<uint64_t>(attempt));
  return Mix(h ^ (salt * 0x9E3779B97F4A7C15ULL));
}

std::string ProcessedKey(const std::string& handler, const std::string& message_id) {
  return handler + "/" + message_id;
}

HandlerRegistration MakeScriptedHandler(const ScriptedHandlerSpec& spec,
                                        std::shared_ptr<ScriptedRuntime> random, HandlerFn work) {
  HandlerRegistration h;
  h.name = spec.name;
  h.stream = spec.stream;
  h.fqn = spec.fqn.value_or("");
  h.source = "scripted handler " + spec.name;
  h.subscription_profile_entry = spec.profile;
  h.subscription_config_layer = spec.subscription_config;
  const uint64_t seed = spec.decision_seed.value_or(random->seed);
  auto script = [spec, seed, work](const Message& m, HandlerContext& ctx) -> HandlerResult {
    int64_t duration_ms = spec.duration_min_ms;
    bool random_failure = false;
    const bool window_failure = InFailWindow(spec, ctx.now);
    const Duration window_delay = SlowWindowsExtra(spec, ctx.now);
    if (spec.duration_max_ms > spec.duration_min_ms) {
      const auto span = static_cast<uint64_t>(spec.duration_max_ms - spec.duration_min_ms) + 1;
      duration_ms += static_cast<int64_t>(
          ScriptedDecision(seed, spec.name, m.id, m.attempt, kDurationSalt) % span);
    }
    if (spec.fail_numerator > 0) {
      random_failure =
          ScriptedDecision(seed, spec.name, m.id, m.attempt, kFailureSalt) % spec.fail_denominator <
          spec.fail_numerator;
    }
    ctx.cost = Millis(duration_ms) + window_delay;
    if (window_failure) return Status::Internal("scripted failure: in a fail_between window");
    if (Contains(spec.undecodable_types, m.type)) {
      return HandlerResult::Undecodable("cannot decode payload of type " + m.type);
    }
    if (m.attempt <= spec.fail_first) {
      return Status::Internal("scripted failure: attempt " + std::to_string(m.attempt) + " of " +
                              std::to_string(spec.fail_first) + " failing");
    }
    if (Contains(spec.fail_types, m.type)) {
      return Status::Internal("scripted failure for type " + m.type);
    }
    if (random_failure) return Status::Internal("scripted random failure");
    if (work) {
      // Caught here, as the attempt runner would, so the ledger below still
      // records the call (as "failed").
      HandlerResult result =
          internal::CallIsolated<HandlerResult>("handler", [&] { return work(m, ctx); });
      if (!result.ok()) return result;
    }
    if (spec.record && ctx.database != nullptr) {
      nlohmann::json rec = {{"handler", spec.name},
                            {"message_id", m.id},
                            {"attempt", m.attempt},
                            {"consumer", ctx.consumer},
                            {"at", FormatTime(ctx.now)}};
      Result<int64_t> put = ctx.database->Put(kProcessedTable, ProcessedKey(spec.name, m.id),
                                              rec.dump(), std::nullopt);
      if (!put.ok()) return put.status();
    }
    return HandlerResult::Ok();
  };
  h.fn = [script, random, name = spec.name](const Message& m,
                                            HandlerContext& ctx) -> HandlerResult {
    HandlerResult result = script(m, ctx);
    if (random->ledger) {
      const char* outcome = result.kind() == HandlerResult::Kind::kOk            ? "ok"
                            : result.kind() == HandlerResult::Kind::kUndecodable ? "undecodable"
                                                                                 : "failed";
      random->ledger(ScriptedCall{name, ctx.consumer, m.id, m.attempt, ctx.now, ctx.cost, outcome});
    }
    return result;
  };
  return h;
}

}  // namespace protean
