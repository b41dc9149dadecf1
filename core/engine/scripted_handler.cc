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

}  // namespace

std::string ProcessedKey(const std::string& handler, const std::string& message_id) {
  return handler + "/" + message_id;
}

HandlerRegistration MakeScriptedHandler(const ScriptedHandlerSpec& spec,
                                        std::shared_ptr<ScriptedRuntime> random,
                                        HandlerFn work) {
  HandlerRegistration h;
  h.name = spec.name;
  h.stream = spec.stream;
  h.source = "scripted handler " + spec.name;
  h.subscription_profile_entry = spec.profile;
  h.subscription_config_layer = spec.subscription_config;
  auto script = [spec, random, work](const Message& m, HandlerContext& ctx) -> HandlerResult {
    // Draws happen in a fixed order per attempt: duration, then failure.
    int64_t duration_ms = spec.duration_min_ms;
    bool random_failure = false;
    const bool window_failure = InFailWindow(spec, ctx.now);
    const Duration window_delay = SlowWindowsExtra(spec, ctx.now);
    {
      std::lock_guard<std::mutex> lock(random->mu);
      if (spec.duration_max_ms > spec.duration_min_ms) {
        duration_ms = random->prng.UniformInt(spec.duration_min_ms, spec.duration_max_ms);
      }
      if (spec.fail_numerator > 0) {
        random_failure = random->prng.Chance(spec.fail_numerator, spec.fail_denominator);
      }
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
