#include "core/list_broker.h"

#include "core/internal/py_json.h"

namespace protean {

std::string ListPositionKey(std::string_view stream, std::string_view group) {
  std::string key = "position:";
  key.append(stream).append(":").append(group);
  return key;
}

Result<std::string> EncodeListItem(std::string_view id, const Fields& fields) {
  if (fields.size() != 1 || fields[0].first != "data") {
    return Status::InvalidArgument(
        "redis_pubsub keeps Protean's [identifier, message] pairs: publish one field \"data\" "
        "holding the message's JSON");
  }
  const std::string& data = fields[0].second;
  if (Result<py_json::Value> parsed = py_json::Parse(data); !parsed.ok()) {
    return Status::InvalidArgument("redis_pubsub: the message is not JSON: " +
                                   parsed.status().message());
  }
  std::string item = "[";
  py_json::AppendString(&item, id);
  item.append(", ").append(data).append("]");  // json.dumps's item separator
  return item;
}

StreamEntry DecodeListItem(std::string_view item, int64_t index) {
  StreamEntry entry;
  entry.delivery_count = 1;
  Result<py_json::Value> parsed = py_json::Parse(item);
  if (parsed.ok() && parsed->kind == py_json::Value::Kind::kArray && parsed->items.size() == 2 &&
      parsed->items[0].is_string() && !parsed->items[0].text.empty()) {
    const py_json::Value& message = parsed->items[1];
    entry.id = parsed->items[0].text;
    entry.fields = {{"data", std::string(item.substr(message.begin, message.end - message.begin))}};
    return entry;
  }
  entry.id = "@" + std::to_string(index);
  entry.fields = {{"data", std::string(item)}};
  return entry;
}

namespace {

Status NoDlq(std::string_view operation) {
  return Status::InvalidArgument(
      std::string(operation) +
      ": redis_pubsub has no DLQ (Protean's SIMPLE_QUEUING: a list with a position per group)");
}

}  // namespace

BrokerCapabilities ListBroker::capabilities() const {
  BrokerCapabilities caps;
  caps.persistent = true;
  caps.consumer_groups = true;
  caps.pending = false;
  caps.dlq = false;
  caps.retention = false;
  caps.blocking_reads = false;
  return caps;
}

Status ListBroker::CheckCount(int count) {
  if (count < 1) return Status::InvalidArgument("count must be >= 1");
  return Status::Ok();
}

Status ListBroker::CheckRange(std::string_view start, std::string_view end, int count) {
  PROTEAN_RETURN_IF_ERROR(CheckCount(count));
  if (start != "-" || end != "+") {
    return Status::InvalidArgument(
        "redis_pubsub: a list has no id order; Range takes \"-\" and \"+\" only");
  }
  return Status::Ok();
}

Result<std::vector<StreamEntry>> ListBroker::ReadPending(std::string_view, std::string_view,
                                                         std::string_view, std::string_view,
                                                         int count) {
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  PROTEAN_RETURN_IF_ERROR(CheckCount(count));
  return std::vector<StreamEntry>{};
}
Result<int64_t> ListBroker::Ack(std::string_view, std::string_view,
                                const std::vector<std::string>&) {
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  return int64_t{0};
}
Result<std::vector<PendingEntry>> ListBroker::Pending(std::string_view, std::string_view,
                                                      std::string_view, int count) {
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  PROTEAN_RETURN_IF_ERROR(CheckCount(count));
  return std::vector<PendingEntry>{};
}
Result<int64_t> ListBroker::PendingCount(std::string_view, std::string_view) {
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  return int64_t{0};
}
Result<ClaimResult> ListBroker::AutoClaim(std::string_view, std::string_view, std::string_view,
                                          Duration, std::string_view, int count) {
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  PROTEAN_RETURN_IF_ERROR(CheckCount(count));
  ClaimResult done;
  done.next_cursor = std::string(kClaimScanStart);
  return done;
}
Result<std::optional<StreamEntry>> ListBroker::Redeliver(std::string_view, std::string_view,
                                                         std::string_view, std::string_view) {
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  return std::optional<StreamEntry>();
}
Result<int64_t> ListBroker::Release(std::string_view, std::string_view, std::string_view,
                                    const std::vector<std::pair<std::string, int64_t>>&) {
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  return int64_t{0};
}
Result<int64_t> ListBroker::Touch(std::string_view, std::string_view, std::string_view,
                                  const std::vector<std::string>&) {
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  return int64_t{0};
}
Result<int64_t> ListBroker::Delete(std::string_view, const std::vector<std::string>&) {
  return Status::InvalidArgument(
      "redis_pubsub: items cannot be deleted (every group's position would shift)");
}
Result<int64_t> ListBroker::Trim(std::string_view, const TrimSpec&) {
  return Status::InvalidArgument(
      "redis_pubsub: the list cannot be trimmed (every group's position would shift)");
}
Result<bool> ListBroker::MoveToDlq(std::string_view, std::string_view, std::string_view,
                                   const DlqMetadata&) {
  return NoDlq("MoveToDlq");
}
Result<std::vector<DlqEntry>> ListBroker::DlqList(std::string_view, size_t) {
  return NoDlq("DlqList");
}
Result<DlqEntry> ListBroker::DlqInspect(std::string_view, std::string_view) {
  return NoDlq("DlqInspect");
}
Result<std::string> ListBroker::DlqReplay(std::string_view, std::string_view) {
  return NoDlq("DlqReplay");
}
Result<int64_t> ListBroker::DlqReplayAll(std::string_view) { return NoDlq("DlqReplayAll"); }
Result<int64_t> ListBroker::DlqPurge(std::string_view) { return NoDlq("DlqPurge"); }
Result<int64_t> ListBroker::DlqTrimOlderThan(std::string_view, TimePoint) {
  return NoDlq("DlqTrimOlderThan");
}
Result<int64_t> ListBroker::DlqDepth(std::string_view) { return NoDlq("DlqDepth"); }

}  // namespace protean
