#pragma once
// Protean's message envelope on py_json values: the reading rules of
// Message.deserialize and the writer. Private to core/engine/message.cc.

#include <string>

#include "core/engine/message.h"
#include "core/internal/py_json.h"
#include "core/status.h"

namespace protean::envelope_internal {

// Reads the dict Protean's Message.deserialize receives (a broker entry's
// decoded "data" field, or an event-store row as {id, stream_name, type,
// position, global_position, data, metadata, time}) into `meta`, and checks
// the stored checksum. On success message->Find("data") is the payload object;
// its "metadata" member is taken (read in place, left null), not copied.
// Fails with kInvalidArgument naming the field.
Status ReadEnvelope(py_json::Value* message, MessageMetadata* meta);

// The checksum of a parsed payload: sha256 hex of json.dumps(sort_keys=True,
// separators=(",", ":")).
std::string ChecksumOf(const py_json::Value& payload);

// Appends the metadata object, in Metadata.to_dict()'s key order, with
// `checksum` as envelope.checksum. `extensions` is JSON object text.
void AppendMetadata(std::string* out, const MessageMetadata& meta, const std::string& checksum);

}  // namespace protean::envelope_internal
