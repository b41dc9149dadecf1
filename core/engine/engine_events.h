#pragma once
// What the engine reports as it works: every delivery, attempt, ack, retry,
// DLQ move, claim, position write, DLQ maintenance cycle, health change and
// shutdown step. The harness records these as its history (JSON lines) and
// its checkers read them; tests observe them too. Their JSON form (one line of
// a history) is in app/history/event_json.h.
//
// Observers are called on the engine loop, synchronously, in the order the
// events happen; they must not call back into the engine.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/time.h"

namespace protean {

enum class EngineEventKind {
  kEngineStarted,
  kSubscriptionStarted,
  kDelivered,  // a message reached the subscription (attempt = delivery count)
  kAttemptStarted,
  kAttemptFinished,  // outcome: ok | failed | timeout | undecodable
  kAcked,
  kRetryScheduled,  // due = when the next attempt may start
  kDlqMoved,
  kDlqMoveFailed,   // the message stays pending
  kDropped,         // attempts exhausted with enable_dlq = false (acked, counted)
  kClaimed,         // taken over from another consumer after its idle bound
  kCircuitBreaker,  // outcome: opened | half_open | closed (Protean's names); value =
                    // consecutive failures, detail = "threshold N"; due = probe time when opened
  kStreamTrimmed,   // retention_maxlen: value = entries removed, detail = "maxlen N" | "minid ID"
  kPositionWritten,
  kDlqChecked,  // a maintenance cycle measured a DLQ: value = depth, detail = threshold
  kDlqTrimmed,  // value = entries removed
  kDlqAlert,    // value = depth, detail = threshold
  kDlqCallbackFailed,
  kReadiness,     // outcome: ok | draining | degraded
  kShutdownStep,  // detail: signal | stop_fetching | drain_done | drain_timeout |
                  //         drain_cut | close:<adapter>[:failed|:timeout] | stopped
  kCrashed,       // the instance vanished without acking (simulation)
  kError,         // an adapter call failed; detail says which and why
  // Event-store recovery (core/engine/event_store_recovery.h). A message that
  // ends Exhausted is reported kDropped.
  kFailureRecorded,   // a `Failed` record is durable: value = retry_count, detail = stream
  kRecoveryPass,      // a recovery pass begins: value = unresolved positions
  kRecoveryResolved,  // a `Resolved` record is durable: value = retry_count
};

std::string_view EngineEventKindName(EngineEventKind kind);

struct EngineEvent {
  explicit EngineEvent(EngineEventKind k = EngineEventKind::kError) : kind(k) {}
  EngineEventKind kind;
  TimePoint at{};
  std::string instance;      // the engine instance (worker) name
  std::string subscription;  // handler name
  std::string stream;
  std::string message_id;  // the publisher's id
  std::string entry_id;    // broker entry id or event-store global position
  int64_t attempt = 0;
  std::string outcome;
  std::string detail;
  int64_t value = 0;
  TimePoint due{};
};

class EngineObserver {
 public:
  virtual ~EngineObserver() = default;
  virtual void OnEngineEvent(const EngineEvent& event) = 0;
};

}  // namespace protean
