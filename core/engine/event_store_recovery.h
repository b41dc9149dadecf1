#pragma once
// The records of Protean's event-store recovery pass
// (src/protean/server/subscription/event_store_subscription.py:28-33,
// 742-979), written and read with Protean's stream names, types and data, so
// a Protean process and this one read each other's:
//
//   failed-{subscriber}-{category}   (py:218-220)
//     `Failed`    {"position", "message_type", "message_id", "retry_count",
//                  "stream_name", "stream_position"}          (py:771-795)
//     `Resolved`, `Exhausted`
//                 {"position", "message_type", "message_id", "retry_count"}
//                                                             (py:827-849)
//   recovery-checkpoint-{subscriber}-{category}   (py:221-223)
//     `Checkpoint` {"watermark": next position to read in the failed stream,
//                   "unresolved": {"<global position>": {"retry_count",
//                   "stream_name", "stream_position"}}}     (py:936-971)
//
// `position` is the message's global position in the category. Every record
// carries Protean's metadata: headers {id, type, time, stream} and domain
// {kind: "READ_POSITION", origin_stream: category}. This engine adds
// "reason" (the handler's error) to Failed and Exhausted records, and
// message_type / message_id to the checkpoint's entries; Protean's readers
// take only the keys they know (py:893-915).
//
// The pure part lives here (names, encoding, folding records into the set
// of unresolved positions); the subscription's use of it is in
// event_store_recovery.cc.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/event_store.h"
#include "core/time.h"

namespace protean {

// Protean's FailedPositionStatus (py:28-33).
inline constexpr const char* kRecordFailed = "Failed";
inline constexpr const char* kRecordResolved = "Resolved";
inline constexpr const char* kRecordExhausted = "Exhausted";
inline constexpr const char* kRecordCheckpoint = "Checkpoint";

// `subscriber` is the name the subscription's position stream uses for the
// handler (Protean: the handler's FQN).
std::string FailedPositionsStream(const std::string& subscriber, const std::string& category);
std::string RecoveryCheckpointStream(const std::string& subscriber, const std::string& category);

// The metadata of every record a subscription writes to its own streams
// (positions, failed positions, checkpoints), as Protean writes it
// (event_store_subscription.py:389-401, 783-794): headers {id, type, time
// (datetime.isoformat()), stream} and domain {kind: "READ_POSITION",
// origin_stream: category}, with json.dumps's separators.
std::string RecordMetadata(const std::string& id, const std::string& type, TimePoint at,
                           const std::string& stream, const std::string& category);

// One unresolved failed position (Protean's _failed_positions values,
// py:224-226).
struct FailedPosition {
  int64_t retry_count = 0;
  std::string stream_name;                 // "" when unknown
  std::optional<int64_t> stream_position;  // within stream_name
  std::string message_type = "unknown";
  std::string message_id = "unknown";
  std::string reason;  // the last failure (this engine's addition)
};
using FailedPositions = std::map<int64_t, FailedPosition>;  // by global position

// A record to append: `type` is one of the kRecord* names.
struct RecoveryRecord {
  std::string type;
  int64_t position = 0;
  FailedPosition info;
  std::string reason;  // Failed / Exhausted: what failed ("" for none)
};
NewEventMessage EncodeRecoveryRecord(const RecoveryRecord& record, const std::string& stream,
                                     const std::string& category, const std::string& id,
                                     TimePoint now);
NewEventMessage EncodeCheckpoint(int64_t watermark, const FailedPositions& unresolved,
                                 const std::string& stream, const std::string& category,
                                 const std::string& id, TimePoint now);

// The checkpoint's content, or nullopt when `m` holds none Protean would
// read (py:873-877: watermark defaults to 0, unresolved to {}).
struct Checkpoint {
  int64_t watermark = 0;
  FailedPositions unresolved;
};
Checkpoint DecodeCheckpoint(const EventMessage& m);

// Folds failed-stream records into `positions` as Protean's rebuild does
// (py:891-915): Resolved and Exhausted remove a position, Failed sets it;
// records without a position or a type are skipped. The type is
// metadata.headers.type, else the row's type.
void ApplyRecoveryRecords(const std::vector<EventMessage>& records, FailedPositions* positions);

}  // namespace protean
