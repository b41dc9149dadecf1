#pragma once
// Reads a history file another process is writing (`protean server
// --history FILE`, docs/history.md) as it grows: each call returns the
// complete lines added since the previous one. Line 1, the writer's header,
// is checked and skipped; an unfinished last line waits for its newline (a
// process killed with SIGKILL may leave one, which is then never returned).

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace protean::harness {

class HistoryTail {
 public:
  // `instance`, when not empty, replaces each event's "instance" (a process
  // that generated its own identity is known to the harness by its name).
  explicit HistoryTail(std::string path, std::string instance = "")
      : path_(std::move(path)), instance_(std::move(instance)) {}

  // New events; a line that is not a JSON object with an integer "t" and a
  // string "event" is skipped and described in `problems`. A file that does
  // not exist yet reads as empty.
  std::vector<nlohmann::ordered_json> ReadNew(std::vector<std::string>* problems);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string instance_;
  uint64_t offset_ = 0;
  std::string partial_;
  bool header_seen_ = false;
};

}  // namespace protean::harness
