#include "app/publish_request.h"

#include <nlohmann/json.hpp>

#include "core/config/priority_lanes.h"
#include "core/engine/handler_publisher.h"
#include "core/engine/message.h"
#include "core/internal/iso_time.h"

namespace protean::cli {
namespace {

Status Invalid(std::string what) { return Status::InvalidArgument(std::move(what)); }

Status ReadString(const nlohmann::json& line, const char* key, std::string* out) {
  auto it = line.find(key);
  if (it == line.end()) return Status::Ok();
  if (!it->is_string()) {
    return Invalid(std::string("key '") + key + "': expected a string, got " + it->dump());
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

}  // namespace

Result<PublishRequest> ParsePublishLine(std::string_view line, const PublishRequest& defaults) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Invalid("expected a JSON object");
  PublishRequest r = defaults;
  for (const auto& [key, value] : j.items()) {
    if (key != "stream" && key != "type" && key != "data" && key != "id" && key != "event_store" &&
        key != "priority") {
      return Invalid("unknown key '" + key +
                     "' (known: stream, type, data, id, event_store, priority)");
    }
  }
  PROTEAN_RETURN_IF_ERROR(ReadString(j, "stream", &r.stream));
  PROTEAN_RETURN_IF_ERROR(ReadString(j, "type", &r.type));
  PROTEAN_RETURN_IF_ERROR(ReadString(j, "id", &r.id));
  if (auto it = j.find("data"); it != j.end()) {
    if (!it->is_object()) return Invalid("key 'data': expected a JSON object, got " + it->dump());
    r.data = it->dump();
  }
  if (auto it = j.find("event_store"); it != j.end()) {
    if (!it->is_boolean()) {
      return Invalid("key 'event_store': expected true or false, got " + it->dump());
    }
    r.event_store = it->get<bool>();
  }
  if (auto it = j.find("priority"); it != j.end()) {
    if (!it->is_number_integer()) {
      return Invalid("key 'priority': expected an integer, got " + it->dump());
    }
    r.priority = it->get<int64_t>();
  }
  PROTEAN_RETURN_IF_ERROR(ValidatePublishRequest(r));
  return r;
}

Status ValidatePublishRequest(const PublishRequest& r) {
  if (r.stream.empty()) return Invalid("no stream (key 'stream', or --stream)");
  if (r.type.empty()) return Invalid("no type (key 'type', or --type)");
  const nlohmann::json payload = nlohmann::json::parse(r.data, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) {
    return Invalid("data: expected a JSON object, got " + r.data);
  }
  if (r.event_store && r.stream.find('-') == std::string::npos) {
    return Invalid("stream " + r.stream + ": an event-store stream is \"category-id\"");
  }
  if (r.event_store && r.priority) {
    return Invalid("priority: only for broker streams (priority lanes)");
  }
  return Status::Ok();
}

std::string PublishLine(const PublishRequest& r) {
  nlohmann::ordered_json j;
  j["stream"] = r.stream;
  j["type"] = r.type;
  j["data"] = nlohmann::ordered_json::parse(r.data);
  if (!r.id.empty()) j["id"] = r.id;
  if (r.event_store) j["event_store"] = true;
  if (r.priority) j["priority"] = *r.priority;
  return j.dump();
}

Result<PublishedAt> SendPublishRequest(const PublishRequest& r, const EngineAdapters& adapters,
                                       const config::PriorityLanesConfig& lanes, TimePoint now) {
  MessageMetadata meta;
  meta.id = r.id;
  meta.type = r.type;
  meta.kind = "EVENT";
  meta.time = internal::FormatIsoTime(now);
  meta.stream = r.stream;
  meta.priority = r.priority.value_or(0);
  if (r.event_store) {
    if (adapters.event_store == nullptr) return Invalid("no event store");
    Result<NewEventMessage> row = EncodeEventMessage(meta, r.stream, r.data);
    if (!row.ok()) return row.status();
    Result<int64_t> position = adapters.event_store->Write(*row, std::nullopt);
    if (!position.ok()) {
      return Status(position.status().code(), "event_store: " + position.status().ToString());
    }
    return PublishedAt{r.stream, "position " + std::to_string(*position)};
  }
  Broker* broker = adapters.broker("default");
  if (broker == nullptr) return Invalid("no [brokers.default]");
  Result<Fields> fields = EncodeMessageFields(meta, r.data);
  if (!fields.ok()) return fields.status();
  const std::string stream = config::LaneStream(lanes, r.stream, meta.priority);
  Result<std::string> entry = broker->Publish(stream, *fields);
  if (!entry.ok()) {
    return Status(entry.status().code(), "brokers.default: " + entry.status().ToString());
  }
  return PublishedAt{stream, "entry " + *entry};
}

}  // namespace protean::cli
