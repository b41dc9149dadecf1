#include "app/server/inbox_feeder.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "app/publish_request.h"
#include "core/engine/handler_publisher.h"

namespace protean::cli {

InboxFeeder::InboxFeeder(std::string path, EngineAdapters adapters,
                         config::PriorityLanesConfig lanes, const Clock& clock,
                         std::function<void(LogLevel, const std::string&, const std::string&)> log,
                         Duration interval)
    : path_(std::move(path)),
      adapters_(std::move(adapters)),
      lanes_(std::move(lanes)),
      clock_(clock),
      log_(std::move(log)),
      interval_(interval) {}

InboxFeeder::~InboxFeeder() { Stop(); }

void InboxFeeder::Start() {
  thread_.Start(Duration{0}, interval_, [this] { PollOnce(); });
}

void InboxFeeder::Stop() { thread_.Stop(); }

int64_t InboxFeeder::PollOnce() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    if (!missing_logged_) {
      log_(LogLevel::kInfo, "inbox.waiting",
           "inbox " + path_ + ": " + std::strerror(errno) + "; waiting for it");
      missing_logged_ = true;
    }
    return 0;
  }
  in.seekg(offset_);
  std::string line;
  int64_t published = 0;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no line feed yet: read it once it is complete
    const int64_t next_offset = offset_ + static_cast<int64_t>(line.size()) + 1;
    const int64_t number = line_number_ + 1;
    const std::string where = path_ + ":" + std::to_string(number);
    if (line.find_first_not_of(" \t\r") != std::string::npos) {
      Result<PublishRequest> r = ParsePublishLine(line, PublishRequest{});
      if (!r.ok()) {
        log_(LogLevel::kError, "inbox.invalid_line",
             where + ": " + r.status().message() + " (skipped)");
      } else {
        if (r->id.empty()) r->id = DerivedUuid("inbox\n" + path_ + "\n" + std::to_string(number));
        Result<PublishedAt> sent = SendPublishRequest(*r, adapters_, lanes_, clock_.Now());
        if (!sent.ok()) {
          const std::string text = where + ": " + sent.status().message() + " (retrying)";
          if (text != failing_) log_(LogLevel::kWarning, "inbox.publish_failed", text);
          failing_ = text;
          return published;  // the same line again at the next poll
        }
        failing_.clear();
        ++published;
        log_(LogLevel::kInfo, "inbox.published",
             where + ": " + r->id + " to " + sent->stream + " (" + sent->where + ")");
      }
    }
    offset_ = next_offset;
    line_number_ = number;
  }
  return published;
}

}  // namespace protean::cli
