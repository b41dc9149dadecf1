#include "core/engine/engine_events.h"

namespace protean {

std::string_view EngineEventKindName(EngineEventKind kind) {
  switch (kind) {
    case EngineEventKind::kEngineStarted:
      return "engine_started";
    case EngineEventKind::kSubscriptionStarted:
      return "subscription_started";
    case EngineEventKind::kDelivered:
      return "delivered";
    case EngineEventKind::kAttemptStarted:
      return "attempt_started";
    case EngineEventKind::kAttemptFinished:
      return "attempt_finished";
    case EngineEventKind::kAcked:
      return "acked";
    case EngineEventKind::kRetryScheduled:
      return "retry_scheduled";
    case EngineEventKind::kDlqMoved:
      return "dlq_moved";
    case EngineEventKind::kDlqMoveFailed:
      return "dlq_move_failed";
    case EngineEventKind::kDropped:
      return "dropped";
    case EngineEventKind::kClaimed:
      return "claimed";
    case EngineEventKind::kCircuitBreaker:
      return "circuit_breaker";
    case EngineEventKind::kStreamTrimmed:
      return "stream_trimmed";
    case EngineEventKind::kPositionWritten:
      return "position_written";
    case EngineEventKind::kDlqChecked:
      return "dlq_checked";
    case EngineEventKind::kDlqTrimmed:
      return "dlq_trimmed";
    case EngineEventKind::kDlqAlert:
      return "dlq_alert";
    case EngineEventKind::kDlqCallbackFailed:
      return "dlq_callback_failed";
    case EngineEventKind::kReadiness:
      return "readiness";
    case EngineEventKind::kShutdownStep:
      return "shutdown_step";
    case EngineEventKind::kCrashed:
      return "crashed";
    case EngineEventKind::kError:
      return "error";
    case EngineEventKind::kFailureRecorded:
      return "failure_recorded";
    case EngineEventKind::kRecoveryPass:
      return "recovery_pass";
    case EngineEventKind::kRecoveryResolved:
      return "recovery_resolved";
  }
  return "unknown";
}

}  // namespace protean
