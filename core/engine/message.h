#pragma once
// The engine's view of one message, and how it travels through a broker.
//
// On a broker stream a message is one entry with three fields: "id" (a UUID
// chosen by the publisher), "type" and "data" (a JSON object as text). An
// entry without "type" or whose "data" is not a JSON object cannot be decoded:
// the engine moves it to the DLQ at once and acks it (never retried).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/broker.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {

struct Message {
  std::string id;         // the publisher's message id (UUID)
  std::string type;       // e.g. "OrderPlaced"
  std::string data;       // JSON object text
  std::string stream;     // broker stream or event-store stream it came from
  std::string source_id;  // broker entry id, or the event store global position
  int64_t attempt = 1;    // 1-based; for broker messages, the delivery count
};

Fields EncodeMessageFields(std::string_view id, std::string_view type, std::string_view data);
// Fails with kInvalidArgument naming what is wrong ("missing field 'type'",
// "field 'data' is not a JSON object").
Result<Message> DecodeMessage(std::string_view stream, const StreamEntry& entry);

}  // namespace protean
