#pragma once
// HandlerPublisher: what a handler publishes while it handles a message, as
// a Protean handler raises events or issues commands through the domain
// (core/event.py:135-195, domain/command_processor.py:171-205).
//
// Every message a handler queues carries Protean's metadata caused by the
// handled message (MetadataCausedBy): the same correlation id, the handled
// message's id as causation id, the traceparent; a command also its
// deadline. The queue is sent when the handler returns Ok, before the
// handled message is acked; a failed attempt sends nothing, as Protean's
// unit of work sends nothing when the handler raises. A send that fails
// turns the attempt into a retryable failure naming the target; what was
// sent before it stays sent, and the retry sends the same messages with the
// same ids (ids derive from the handler, the handled message and the
// message's index in the queue), so a consumer can drop the repeats.
//
// Targets: a stream of the "default" broker (Publish: one entry, Protean's
// one-field envelope) or a stream of the event store (Append: "category-id",
// payload in `data`, metadata in `metadata`, as Protean's Message DB adapter
// writes). Thread-safety: one attempt's handler uses it; not shared.

#include <string>
#include <string_view>
#include <vector>

#include "core/engine/message.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {

class Broker;
class EventStore;

class HandlerPublisher {
 public:
  enum class Kind { kEvent, kCommand };
  enum class Target { kBroker, kEventStore };

  struct Outgoing {
    Target target = Target::kBroker;
    std::string stream;   // broker stream, or event-store stream "category-id"
    std::string payload;  // JSON object text
    MessageMetadata metadata;
  };

  HandlerPublisher() = default;
  // For the attempt of `handler` on `cause`, started at `now`.
  HandlerPublisher(std::string handler, const Message* cause, TimePoint now);

  // Queues `payload` (a JSON object, checked when sent) of `type` for broker
  // stream `stream`; returns the message id it will carry.
  std::string Publish(std::string_view stream, std::string_view type, std::string_view payload,
                      Kind kind = Kind::kEvent);
  // Queues it for event-store stream `stream_name` ("category-id").
  std::string Append(std::string_view stream_name, std::string_view type, std::string_view payload,
                     Kind kind = Kind::kEvent);

  const std::vector<Outgoing>& queued() const { return queued_; }

  // Sends the queue in order; the first failure stops it, naming the
  // message and its target. A broker target needs `broker`, an event-store
  // one `event_store` (kInvalidArgument when absent).
  Status Send(Broker* broker, EventStore* event_store) const;

 private:
  std::string Queue(Target target, std::string_view stream, std::string_view type,
                    std::string_view payload, Kind kind);

  std::string handler_;
  const Message* cause_ = nullptr;
  TimePoint now_{};
  std::vector<Outgoing> queued_;
};

// The event-store row of a message in Protean's shape: id and type from
// `meta`, the payload as `data`, Metadata.to_dict() (checksum included) as
// `metadata`. kInvalidArgument when the payload is not a JSON object.
Result<NewEventMessage> EncodeEventMessage(const MessageMetadata& meta,
                                           std::string_view stream_name, std::string_view payload);

// A UUID (RFC 9562 version 8 layout) derived from `name` by sha256: the same
// name always gives the same id.
std::string DerivedUuid(std::string_view name);

}  // namespace protean
