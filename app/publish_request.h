#pragma once
// One message to publish, as `protean publish` takes it and as a line of a
// JSON-lines file (`protean publish --file`, `--inbox`, and the inbox that
// `protean server --inbox FILE` follows):
//
//   {"stream": "orders", "type": "OrderPlaced", "data": {"order_id": "o-1"},
//    "id": "6f1c...", "event_store": false}
//
// `stream` and `type` are required (a file read by `protean publish` may
// leave them to --stream/--type), `data` is a JSON object (default {}), `id`
// the message id (default: chosen when sent), `event_store` writes the
// message to the event store's stream ("category-id") instead of the
// default broker's stream. Any other key is an error.
//
// Sent in Protean's envelope (core/engine/message.h): a broker entry with
// one field "data"; an event-store row with the payload in `data` and
// Metadata.to_dict() in `metadata`. Kind EVENT, headers.time the clock time.

#include <string>
#include <string_view>

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
};

// Parses one line; what it leaves out comes from `defaults`. kInvalidArgument
// naming the key ("key 'data': expected a JSON object, got [1]").
Result<PublishRequest> ParsePublishLine(std::string_view line, const PublishRequest& defaults);

// What every request must satisfy: a stream and a type, `data` a JSON
// object, an event-store stream "category-id". kInvalidArgument naming it.
Status ValidatePublishRequest(const PublishRequest& request);

// The request as one line (no line feed), `id` included when set.
std::string PublishLine(const PublishRequest& request);

// Sends a valid request with an id to the default broker or the event store
// of `adapters`. Returns where it went: "entry ID" or "position N". Fails
// naming the backend ("brokers.default: ...", "event_store: ...").
Result<std::string> SendPublishRequest(const PublishRequest& request,
                                       const EngineAdapters& adapters, TimePoint now);

}  // namespace protean::cli
