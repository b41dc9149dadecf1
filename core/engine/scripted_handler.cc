#include "core/engine/scripted_handler.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/database.h"

namespace protean {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::string ProcessedKey(const std::string& handler, const std::string& message_id) {
  return handler + "/" + message_id;
}

HandlerRegistration MakeScriptedHandler(const ScriptedHandlerSpec& spec,
                                        std::shared_ptr<ScriptedRuntime> random) {
  HandlerRegistration h;
  h.name = spec.name;
  h.stream = spec.stream;
  h.source = "scripted handler " + spec.name;
  h.subscription_profile_entry = spec.profile;
  h.subscription_config_layer = spec.subscription_config;
  auto script = [spec, random](const Message& m, HandlerContext& ctx) -> HandlerResult {
    // Draws happen in a fixed order per attempt: duration, then failure.
    int64_t duration_ms = spec.duration_min_ms;
    bool random_failure = false;
    bool injected_error = false;
    Duration injected_delay{0};
    {
      std::lock_guard<std::mutex> lock(random->mu);
      for (const auto& f : random->faults) {
        if ((f.handler.empty() || f.handler == spec.name) && ctx.now >= f.from && ctx.now < f.until) {
          injected_error = injected_error || f.error;
          injected_delay += f.extra;
        }
      }
      if (spec.duration_max_ms > spec.duration_min_ms) {
        duration_ms = random->prng.UniformInt(spec.duration_min_ms, spec.duration_max_ms);
      }
      if (spec.fail_numerator > 0) {
        random_failure = random->prng.Chance(spec.fail_numerator, spec.fail_denominator);
      }
    }
    ctx.cost = Millis(duration_ms) + injected_delay;
    if (injected_error) return Status::Internal("injected handler error");
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
    if (spec.record && ctx.database != nullptr) {
      nlohmann::json rec = {{"handler", spec.name}, {"message_id", m.id},
                            {"attempt", m.attempt}, {"consumer", ctx.consumer},
                            {"at", FormatTime(ctx.now)}};
      Result<int64_t> put =
          ctx.database->Put(kProcessedTable, ProcessedKey(spec.name, m.id), rec.dump(), std::nullopt);
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
