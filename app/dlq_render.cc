#include "app/dlq_render.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "app/text_table.h"

namespace protean::cli {
namespace {

using nlohmann::json;

std::string Cut(const std::string& text, size_t keep) {
  return text.size() > keep ? text.substr(0, keep) + "..." : text;
}

std::string Reason(const DlqEntry& e) {
  if (e.damaged) return "damaged: " + e.problem;
  return e.metadata.reason.empty() ? "unknown" : e.metadata.reason;  // Protean's default
}

// The DLQ's stream when the entry does not name its original one.
std::string Subscription(const DlqEntry& e) {
  if (!e.metadata.original_stream.empty()) return e.metadata.original_stream;
  std::string s = e.dlq_stream;
  if (s.ends_with(":dlq")) s.resize(s.size() - 4);
  return s;
}

// The original message's "data" as JSON (Protean's payload without
// _dlq_metadata), else its fields as an object of strings.
json Payload(const DlqEntry& e) {
  const Fields& fields = e.damaged ? e.raw : e.fields;
  for (const auto& [name, value] : fields) {
    if (name != "data") continue;
    json parsed = json::parse(value, nullptr, false);
    if (!parsed.is_discarded()) return parsed;
    break;
  }
  json out = json::object();
  for (const auto& [name, value] : fields) out[name] = value;
  return out;
}

std::string Pad(const std::string& text, size_t width) {
  return text + std::string(width > text.size() ? width - text.size() : 0, ' ');
}

}  // namespace

std::string DlqDisplayTime(TimePoint t) {
  if (t == TimePoint{}) return "-";
  std::string iso = FormatTime(t);  // 2026-01-01T10:00:00.000Z
  if (iso.size() < 19) return iso;
  iso[10] = ' ';
  return iso.substr(0, 19);
}

std::string DlqTable(const std::vector<DlqEntry>& entries) {
  std::vector<std::vector<std::string>> rows = {
      {"DLQ ID", "Subscription", "Consumer Group", "Failure Reason", "Failed At", "Retries"}};
  for (const DlqEntry& e : entries) {
    rows.push_back({Cut(e.dlq_id, 16), Subscription(e), Cut(e.metadata.consumer_group, 30),
                    Reason(e), DlqDisplayTime(e.metadata.last_failure),
                    std::to_string(e.metadata.attempts)});
  }
  return TextTable(rows, {false, false, false, false, false, true}) + "\n" +
         std::to_string(entries.size()) + " DLQ message(s) found.\n";
}

std::string DlqInspectText(const DlqEntry& e) {
  std::string out;
  const auto line = [&out](const char* label, const std::string& value) {
    out += Pad(std::string(label) + ":", 17) + value + "\n";
  };
  line("DLQ ID", e.dlq_id);
  line("Original ID", e.metadata.original_id.empty() ? e.dlq_id : e.metadata.original_id);
  line("Stream", Subscription(e));
  line("Consumer Group", e.metadata.consumer_group);
  line("DLQ Stream", e.dlq_stream);
  line("Failure Reason", Reason(e));
  line("Failed At", DlqDisplayTime(e.metadata.last_failure));
  line("Retry Count", std::to_string(e.metadata.attempts));
  out += "\nPayload:\n" + Payload(e).dump(2) + "\n";
  return out;
}

json DlqEntryJson(const DlqEntry& e) {
  json fields = json::object();
  for (const auto& [name, value] : e.damaged ? e.raw : e.fields) fields[name] = value;
  const bool known = e.metadata.last_failure != TimePoint{};
  return json{{"dlq_id", e.dlq_id},
              {"original_id", e.metadata.original_id.empty() ? e.dlq_id : e.metadata.original_id},
              {"stream", Subscription(e)},
              {"consumer_group", e.metadata.consumer_group},
              {"consumer", e.metadata.consumer},
              {"failure_reason", Reason(e)},
              {"failed_at", known ? json(FormatTime(e.metadata.last_failure)) : json(nullptr)},
              {"first_failed_at", e.metadata.first_failure != TimePoint{}
                                      ? json(FormatTime(e.metadata.first_failure))
                                      : json(nullptr)},
              {"retry_count", e.metadata.attempts},
              {"dlq_stream", e.dlq_stream},
              {"payload", Payload(e)},
              {"fields", std::move(fields)},
              {"damaged", e.damaged},
              {"problem", e.problem}};
}

}  // namespace protean::cli
