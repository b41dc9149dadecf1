#pragma once
// How `protean dlq` prints entries: Protean's table and inspect layout
// (cli/dlq.py), and the JSON records of --format json.

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/broker.h"

namespace protean::cli {

// Protean's DLQ list table: DLQ ID (16 characters, then "..."), Subscription,
// Consumer Group (30, then "..."), Failure Reason, Failed At
// ("%Y-%m-%d %H:%M:%S", "-" when unknown), Retries; a damaged entry's reason
// is "damaged: <problem>". Then "\nN DLQ message(s) found.".
std::string DlqTable(const std::vector<DlqEntry>& entries);
// Protean's inspect layout: the labelled lines, then "Payload:" and the
// message's JSON without _dlq_metadata (indent 2).
std::string DlqInspectText(const DlqEntry& entry);
// Protean's DLQEntry fields (dlq_id, original_id, stream, consumer_group,
// failure_reason, failed_at, retry_count, dlq_stream, payload) plus ours
// (consumer, first_failed_at, fields, damaged, problem).
nlohmann::json DlqEntryJson(const DlqEntry& entry);
// "2026-01-01 10:00:00", or "-" for an unknown time.
std::string DlqDisplayTime(TimePoint t);

}  // namespace protean::cli
