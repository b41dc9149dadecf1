#include "core/engine/message.h"

#include <nlohmann/json.hpp>

namespace protean {

Fields EncodeMessageFields(std::string_view id, std::string_view type, std::string_view data) {
  Fields fields;
  fields.reserve(3);
  fields.emplace_back("id", std::string(id));
  fields.emplace_back("type", std::string(type));
  fields.emplace_back("data", std::string(data));
  return fields;
}

namespace {

// A cheap structural check first: the common case "{...}" of a small object is
// validated fully by the SAX parser without building a DOM.
bool IsJsonObject(std::string_view text) {
  size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos || text[b] != '{') return false;
  return nlohmann::json::accept(text);
}

}  // namespace

Result<Message> DecodeMessage(std::string_view stream, const StreamEntry& entry) {
  if (entry.deleted) return Status::InvalidArgument("entry was deleted from the stream");
  const std::string* type = FindField(entry.fields, "type");
  if (type == nullptr || type->empty()) return Status::InvalidArgument("missing field 'type'");
  const std::string* data = FindField(entry.fields, "data");
  if (data == nullptr) return Status::InvalidArgument("missing field 'data'");
  if (!IsJsonObject(*data)) return Status::InvalidArgument("field 'data' is not a JSON object");
  Message m;
  const std::string* id = FindField(entry.fields, "id");
  m.id = id != nullptr ? *id : entry.id;
  m.type = *type;
  m.data = *data;
  m.stream = std::string(stream);
  m.source_id = entry.id;
  m.attempt = entry.delivery_count > 0 ? entry.delivery_count : 1;
  return m;
}

}  // namespace protean
