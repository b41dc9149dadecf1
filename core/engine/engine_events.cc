#include "core/engine/engine_events.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/engine/subscription.h"

namespace protean {

std::string_view EngineEventKindName(EngineEventKind kind) {
  switch (kind) {
    case EngineEventKind::kEngineStarted: return "engine_started";
    case EngineEventKind::kSubscriptionStarted: return "subscription_started";
    case EngineEventKind::kDelivered: return "delivered";
    case EngineEventKind::kAttemptStarted: return "attempt_started";
    case EngineEventKind::kAttemptFinished: return "attempt_finished";
    case EngineEventKind::kAcked: return "acked";
    case EngineEventKind::kRetryScheduled: return "retry_scheduled";
    case EngineEventKind::kDlqMoved: return "dlq_moved";
    case EngineEventKind::kDlqMoveFailed: return "dlq_move_failed";
    case EngineEventKind::kDropped: return "dropped";
    case EngineEventKind::kClaimed: return "claimed";
    case EngineEventKind::kPositionWritten: return "position_written";
    case EngineEventKind::kDlqChecked: return "dlq_checked";
    case EngineEventKind::kDlqTrimmed: return "dlq_trimmed";
    case EngineEventKind::kDlqAlert: return "dlq_alert";
    case EngineEventKind::kDlqCallbackFailed: return "dlq_callback_failed";
    case EngineEventKind::kReadiness: return "readiness";
    case EngineEventKind::kShutdownStep: return "shutdown_step";
    case EngineEventKind::kCrashed: return "crashed";
    case EngineEventKind::kError: return "error";
  }
  return "unknown";
}

std::string EngineEventToJson(const EngineEvent& e) { return EngineEventJson(e).dump(); }

nlohmann::ordered_json EngineEventJson(const EngineEvent& e) {
  nlohmann::ordered_json j;
  j["t"] = ToMicros(e.at);
  j["event"] = EngineEventKindName(e.kind);
  if (!e.instance.empty()) j["instance"] = e.instance;
  if (!e.subscription.empty()) j["subscription"] = e.subscription;
  if (!e.stream.empty()) j["stream"] = e.stream;
  if (!e.message_id.empty()) j["message_id"] = e.message_id;
  if (!e.entry_id.empty()) j["entry_id"] = e.entry_id;
  if (e.attempt != 0) j["attempt"] = e.attempt;
  if (!e.outcome.empty()) j["outcome"] = e.outcome;
  if (!e.detail.empty()) j["detail"] = e.detail;
  if (e.value != 0) j["value"] = e.value;
  if (e.due != TimePoint{}) j["due"] = ToMicros(e.due);
  return j;
}

Duration IdlePollDelay(const SubscriptionDeps& deps, int empty_reads) {
  Duration d = deps.idle_poll;
  for (int i = 1; i < empty_reads && d < deps.idle_poll_max; ++i) d *= 2;
  return std::min(d, std::max(deps.idle_poll, deps.idle_poll_max));
}

void Report(const SubscriptionDeps& deps, EngineEvent event) {
  if (deps.observer == nullptr) return;
  if (event.at == TimePoint{}) event.at = deps.loop->Now();  // unless stamped already
  event.instance = deps.instance;
  deps.observer->OnEngineEvent(event);
}

}  // namespace protean
