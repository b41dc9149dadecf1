#pragma once
// Protean's message envelope: the reading rules of Message.deserialize on
// py_json values (envelope_json.cc), the fast path that reads the usual
// shape off the text (envelope_scan.cc), and the writer. Private to
// core/engine/message.cc (and the tests that hold the two paths to one answer).

#include <string>
#include <string_view>

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

// The general path on a broker entry's envelope text (its "data" field):
// `meta`, and `payload` the text of the envelope's "data" object (message.cc).
Status ReadEnvelopeText(std::string_view text, MessageMetadata* meta, std::string* payload);
// The general path on an event-store row with metadata, its data parsed as
// `payload` (message.cc).
Status ReadRowMetadata(const EventMessage& row, const py_json::Value& payload,
                       MessageMetadata* meta);

// The fast path (envelope_scan.cc), for the shape Protean and this engine
// write: ScanEnvelope is ReadEnvelopeText's, ScanRowMetadata reads the
// metadata of an event-store row (ReadRowMetadata's, with the row's data).
// Both check that the payload is a JSON object and matches the checksum.
// False declines, leaving `meta` partly written: the general path then
// decides. A true answer is the general path's answer.
bool ScanEnvelope(std::string_view text, MessageMetadata* meta, std::string* payload);
bool ScanRowMetadata(const EventMessage& row, MessageMetadata* meta);

// The checksum of a parsed payload: sha256 hex of json.dumps(sort_keys=True,
// separators=(",", ":")).
std::string ChecksumOf(const py_json::Value& payload);
// The same read straight off payload text that is a plain JSON object
// (py_json::DumpSortedPlain), with no document built; false where the text
// is anything else, for the caller to parse (and say what is wrong).
bool PlainChecksumOf(std::string_view text, std::string* checksum);

// `text` parsed, when it is a JSON object; else kInvalidArgument naming `what`.
Result<py_json::Value> ParseObject(std::string_view text, std::string_view what);
// A payload's own text (`text` without JSON's whitespace around it) and its
// checksum: read off the text where it is plain (PlainChecksumOf), parsed
// otherwise. Fails naming `what` when it is not a JSON object.
Status ReadPayload(std::string_view text, std::string_view what, std::string_view* own,
                   std::string* checksum);

// Appends the metadata object, in Metadata.to_dict()'s key order, with
// `checksum` as envelope.checksum. `extensions` is JSON object text.
void AppendMetadata(std::string* out, const MessageMetadata& meta, const std::string& checksum);

}  // namespace protean::envelope_internal
