#include "harness/history_tail.h"

#include <fstream>

namespace protean::harness {
namespace {

constexpr size_t kReadChunk = 1 << 16;

bool IsEvent(const nlohmann::ordered_json& j) {
  return j.is_object() && j.contains("t") && j["t"].is_number_integer() && j.contains("event") &&
         j["event"].is_string();
}

}  // namespace

std::vector<nlohmann::ordered_json> HistoryTail::ReadNew(std::vector<std::string>* problems) {
  std::vector<nlohmann::ordered_json> out;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return out;
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string chunk(kReadChunk, '\0');
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    const auto n = static_cast<size_t>(in.gcount());
    offset_ += n;
    partial_.append(chunk.data(), n);
  }
  size_t begin = 0;
  for (size_t eol = partial_.find('\n'); eol != std::string::npos;
       eol = partial_.find('\n', begin)) {
    const std::string line = partial_.substr(begin, eol - begin);
    begin = eol + 1;
    auto j = nlohmann::ordered_json::parse(line, nullptr, false);
    if (!header_seen_) {
      header_seen_ = true;
      if (!j.is_object() || !j.contains("history")) {
        problems->push_back(path_ + ": line 1 is not a history header");
      }
      continue;
    }
    if (!IsEvent(j)) {
      problems->push_back(path_ + ": not a history event: " + line.substr(0, 120));
      continue;
    }
    if (!instance_.empty() && j.contains("instance")) j["instance"] = instance_;
    out.push_back(std::move(j));
  }
  partial_.erase(0, begin);
  return out;
}

}  // namespace protean::harness
