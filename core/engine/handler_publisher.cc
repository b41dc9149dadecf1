#include "core/engine/handler_publisher.h"

#include <array>

#include "core/broker.h"
#include "core/engine/internal/envelope.h"
#include "core/event_store.h"
#include "core/internal/sha256.h"

namespace protean {

HandlerPublisher::HandlerPublisher(std::string handler, const Message* cause, TimePoint now)
    : handler_(std::move(handler)), cause_(cause), now_(now) {}

std::string HandlerPublisher::Publish(std::string_view stream, std::string_view type,
                                      std::string_view payload, Kind kind) {
  return Queue(Target::kBroker, stream, type, payload, kind);
}

std::string HandlerPublisher::Append(std::string_view stream_name, std::string_view type,
                                     std::string_view payload, Kind kind) {
  return Queue(Target::kEventStore, stream_name, type, payload, kind);
}

std::string HandlerPublisher::Queue(Target target, std::string_view stream, std::string_view type,
                                    std::string_view payload, Kind kind) {
  const std::string cause_id = cause_ == nullptr ? std::string() : cause_->id;
  std::string id = DerivedUuid(handler_ + "\n" + cause_id + "\n" + std::to_string(queued_.size()));
  const std::string kind_name = kind == Kind::kCommand ? "COMMAND" : "EVENT";
  Outgoing out;
  out.target = target;
  out.stream = std::string(stream);
  out.payload = std::string(payload);
  if (cause_ != nullptr) {
    out.metadata = MetadataCausedBy(*cause_, id, std::string(type), kind_name, now_);
  } else {
    out.metadata.id = id;
    out.metadata.type = std::string(type);
    out.metadata.kind = kind_name;
  }
  out.metadata.stream = out.stream;
  queued_.push_back(std::move(out));
  return id;
}

Status HandlerPublisher::Send(Broker* broker, EventStore* event_store) const {
  for (const Outgoing& m : queued_) {
    const std::string what = "publish " + m.metadata.type + " " + m.metadata.id + " to ";
    if (m.target == Target::kBroker) {
      if (broker == nullptr) {
        return Status::InvalidArgument(what + "stream " + m.stream + ": no [brokers.default]");
      }
      Result<Fields> fields = EncodeMessageFields(m.metadata, m.payload);
      if (!fields.ok())
        return Status::InvalidArgument(what + m.stream + ": " + fields.status().message());
      Result<std::string> entry = broker->Publish(m.stream, *fields);
      if (!entry.ok())
        return Status(entry.status().code(), what + m.stream + ": " + entry.status().message());
    } else {
      if (event_store == nullptr) {
        return Status::InvalidArgument(what + "event-store stream " + m.stream +
                                       ": no [event_store]");
      }
      Result<NewEventMessage> row = EncodeEventMessage(m.metadata, m.stream, m.payload);
      if (!row.ok())
        return Status::InvalidArgument(what + m.stream + ": " + row.status().message());
      Result<int64_t> position = event_store->Write(*row, std::nullopt);
      if (!position.ok()) {
        return Status(position.status().code(),
                      what + m.stream + ": " + position.status().message());
      }
    }
  }
  return Status::Ok();
}

Result<NewEventMessage> EncodeEventMessage(const MessageMetadata& meta,
                                           std::string_view stream_name, std::string_view payload) {
  Result<std::string> checksum = PayloadChecksum(payload);
  if (!checksum.ok()) return checksum.status();
  NewEventMessage row;
  row.id = meta.id;
  row.stream_name = std::string(stream_name);
  row.type = meta.type;
  row.data = std::string(payload);
  MessageMetadata stored = meta;
  stored.stream = row.stream_name;
  envelope_internal::AppendMetadata(&row.metadata, stored, *checksum);
  return row;
}

std::string DerivedUuid(std::string_view name) {
  std::array<uint8_t, 32> h = internal::Sha256(name);
  h[6] = static_cast<uint8_t>((h[6] & 0x0f) | 0x80);  // version 8
  h[8] = static_cast<uint8_t>((h[8] & 0x3f) | 0x80);  // variant 10
  std::string out;
  out.reserve(36);
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[h[i] >> 4]);
    out.push_back(kHex[h[i] & 0x0f]);
  }
  return out;
}

}  // namespace protean
