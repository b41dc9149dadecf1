#pragma once
// Finds the commands a Redis client sends, in the byte stream of one
// connection's upstream direction, for the `lost_ack` toxic. A command is a
// RESP array of bulk strings ("*N\r\n$len\r\n<bytes>\r\n..."), which is all
// hiredis and redis-cli send; anything else (an inline command, or the bytes
// of another protocol such as PostgreSQL's) puts the scanner out of step for
// good, and it reports nothing more.
//
// Feed() takes the bytes in order, in pieces of any size; each complete
// command is reported with its name (upper-cased, at most kNameMax bytes)
// and its [begin, end) byte offsets from the connection's first byte.
// Bounded: the scanner keeps a few integers and the name, never the
// payload. Not thread-safe (one Pipe owns it).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace protean::harness::proxy::internal {

struct RespCommand {
  std::string name;
  uint64_t begin = 0;
  uint64_t end = 0;
};

class RespScanner {
 public:
  static constexpr size_t kNameMax = 16;
  // Longest header line ("*N" or "$len") accepted before giving up.
  static constexpr size_t kLineMax = 24;

  // Scans `bytes`; appends each command completed in them to *done.
  void Feed(std::string_view bytes, std::vector<RespCommand>* done);
  bool in_step() const { return state_ != State::kOutOfStep; }
  uint64_t offset() const { return offset_; }

 private:
  enum class State : uint8_t {
    kArrayHeader,
    kBulkHeader,
    kBulkBody,
    kBulkCr,
    kBulkLf,
    kOutOfStep,
  };

  // A header line ("*N\r\n" or "$len\r\n") is complete in line_: its number,
  // or -1 if it is not one.
  int64_t LineNumber(char marker) const;
  void EndHeader();
  void EndElement(std::vector<RespCommand>* done);

  State state_ = State::kArrayHeader;
  std::string line_;
  uint64_t offset_ = 0;  // bytes fed so far
  uint64_t command_begin_ = 0;
  int64_t elements_left_ = 0;
  int64_t body_left_ = 0;
  bool first_element_ = false;
  std::string name_;
};

}  // namespace protean::harness::proxy::internal
