#include "harness/history.h"

#include <exception>
#include <utility>

namespace protean::harness {
namespace {

using nlohmann::ordered_json;

// One JSON line. Invalid UTF-8 in a string (an adapter's error text, say) is
// replaced rather than thrown on, so a history can always be written.
std::string DumpLine(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

Status LineError(size_t line, const std::string& what) {
  return Status::InvalidArgument("history line " + std::to_string(line) + ": " + what);
}

// Parses one line into an object, or says why it is not one.
Result<ordered_json> ParseObject(std::string_view text, size_t line) {
  ordered_json j;
  try {
    j = ordered_json::parse(text.begin(), text.end());
  } catch (const std::exception& e) {
    return LineError(line, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return LineError(line, "not a JSON object");
  return j;
}

Status CheckHeader(const ordered_json& header) {
  if (!header.contains("history")) {
    return LineError(1, "the header (an object with \"history\") is missing");
  }
  const ordered_json& version = header["history"];
  if (!version.is_number_integer() || version.get<int64_t>() != 1) {
    return LineError(1, "unsupported history version " + DumpLine(version) + " (expected 1)");
  }
  return Status::Ok();
}

Status CheckEvent(const ordered_json& event, size_t line) {
  if (!event.contains("t") || !event["t"].is_number_integer()) {
    return LineError(line, "event without an integer \"t\"");
  }
  if (!event.contains("event") || !event["event"].is_string()) {
    return LineError(line, "event without a string \"event\"");
  }
  return Status::Ok();
}

}  // namespace

std::string History::Serialize() const {
  std::string out = DumpLine(header);
  out += '\n';
  for (const ordered_json& event : events) {
    out += DumpLine(event);
    out += '\n';
  }
  return out;
}

Result<History> History::Parse(std::string_view jsonl) {
  History history;
  size_t line = 0;
  size_t pos = 0;
  while (pos < jsonl.size()) {
    size_t eol = jsonl.find('\n', pos);
    if (eol == std::string_view::npos) eol = jsonl.size();
    std::string_view text = jsonl.substr(pos, eol - pos);
    pos = eol + 1;
    ++line;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.find_first_not_of(" \t") == std::string_view::npos) {
      return LineError(line, "empty line");
    }
    Result<ordered_json> parsed = ParseObject(text, line);
    if (!parsed.ok()) return parsed.status();
    if (line == 1) {
      PROTEAN_RETURN_IF_ERROR(CheckHeader(*parsed));
      history.header = std::move(*parsed);
    } else {
      PROTEAN_RETURN_IF_ERROR(CheckEvent(*parsed, line));
      history.events.push_back(std::move(*parsed));
    }
  }
  if (line == 0) return LineError(1, "the header (an object with \"history\") is missing");
  return history;
}

std::string EventText(const nlohmann::ordered_json& event, const char* key) {
  auto it = event.find(key);
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace protean::harness
