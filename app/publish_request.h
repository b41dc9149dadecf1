#pragma once
// One message to publish, as `protean publish` takes it and as a line of a
// JSON-lines file (`protean publish --file`, `--inbox`, and the inbox that
// `protean server --inbox FILE` follows):
//
//   {"stream": "orders", "type": "OrderPlaced", "data": {"order_id": "o-1"},
//    "id": "6f1c...", "event_store": false, "priority": -50}
//
// `stream` and `type` are required (a file read by `protean publish` may
// leave them to --stream/--type), `data` is a JSON object (default {}), `id`
// the message id (default: chosen when sent), `event_store` writes the
// message to the event store's stream ("category-id") instead of the
// default broker's stream, `priority` is metadata.domain.priority (Protean's
// Priority: BULK -100, LOW -50, NORMAL 0, HIGH 50, CRITICAL 100; broker
// streams only): with [server.priority_lanes] enabled, a priority below its
// threshold sends the message to the backfill lane {stream}:{backfill_suffix},
// as Protean's outbox processor routes it (outbox_processor.py:637-645). Any
// other key is an error.
//
// Sent in Protean's envelope (core/engine/message.h): a broker entry with
// one field "data"; an event-store row with the payload in `data` and
// Metadata.to_dict() in `metadata`. Kind EVENT, headers.time the clock time.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/domain_config.h"
#include "core/engine/engine.h"
#include "core/status.h"
#include "core/time.h"

namespace protean::cli {

struct PublishRequest {
  std::string stream;
  std::string type;
  std::string data = "{}";  // JSON object text
  std::string id;           // "": chosen by the sender
  bool event_store = false;
  std::optional<int64_t> priority;  // nullopt: 0
};

// Parses one line; what it leaves out comes from `defaults`. kInvalidArgument
// naming the key ("key 'data': expected a JSON object, got [1]").
Result<PublishRequest> ParsePublishLine(std::string_view line, const PublishRequest& defaults);

// What every request must satisfy: a stream and a type, `data` a JSON
// object, an event-store stream "category-id", no priority on an event-store
// message. kInvalidArgument naming it.
Status ValidatePublishRequest(const PublishRequest& request);

// The request as one line (no line feed), `id` included when set.
std::string PublishLine(const PublishRequest& request);

// Where a message went: the stream (a broker message's lane, after routing)
// and "entry ID" or "position N".
struct PublishedAt {
  std::string stream;
  std::string where;
};

// Sends a valid request with an id to the default broker (routed by `lanes`)
// or the event store of `adapters`. Fails naming the backend
// ("brokers.default: ...", "event_store: ...").
Result<PublishedAt> SendPublishRequest(const PublishRequest& request,
                                       const EngineAdapters& adapters,
                                       const config::PriorityLanesConfig& lanes, TimePoint now);

}  // namespace protean::cli
