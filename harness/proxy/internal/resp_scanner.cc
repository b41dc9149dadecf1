#include "harness/proxy/internal/resp_scanner.h"

#include <algorithm>
#include <cctype>

namespace protean::harness::proxy::internal {
namespace {

// Redis refuses multibulk lengths above 1M and bulk lengths above 512 MB.
constexpr int64_t kElementsMax = 1024 * 1024;
constexpr int64_t kBulkBytesMax = int64_t{512} * 1024 * 1024;

}  // namespace

int64_t RespScanner::LineNumber(char marker) const {
  // line_ holds "<marker><digits>\r" (the '\n' ended it).
  if (line_.size() < 3 || line_.front() != marker || line_.back() != '\r') return -1;
  int64_t n = 0;
  for (size_t i = 1; i + 1 < line_.size(); ++i) {
    const char c = line_[i];
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

void RespScanner::EndHeader() {
  if (state_ == State::kArrayHeader) {
    const int64_t n = LineNumber('*');
    if (n < 1 || n > kElementsMax) {
      state_ = State::kOutOfStep;
      return;
    }
    elements_left_ = n;
    first_element_ = true;
    name_.clear();
    state_ = State::kBulkHeader;
  } else {
    const int64_t n = LineNumber('$');
    if (n < 0 || n > kBulkBytesMax) {
      state_ = State::kOutOfStep;
      return;
    }
    body_left_ = n;
    state_ = n == 0 ? State::kBulkCr : State::kBulkBody;
  }
  line_.clear();
}

void RespScanner::EndElement(std::vector<RespCommand>* done) {
  first_element_ = false;
  if (--elements_left_ > 0) {
    state_ = State::kBulkHeader;
    return;
  }
  done->push_back(RespCommand{name_, command_begin_, offset_});
  state_ = State::kArrayHeader;
}

void RespScanner::Feed(std::string_view bytes, std::vector<RespCommand>* done) {
  size_t i = 0;
  while (i < bytes.size() && state_ != State::kOutOfStep) {
    const char c = bytes[i];
    switch (state_) {
      case State::kArrayHeader:
      case State::kBulkHeader:
        if (line_.empty()) {
          const char marker = state_ == State::kArrayHeader ? '*' : '$';
          if (c != marker) {  // an inline command, or not RESP at all
            state_ = State::kOutOfStep;
            break;
          }
          if (state_ == State::kArrayHeader) command_begin_ = offset_;
        }
        line_.push_back(c);
        ++i;
        ++offset_;
        if (c == '\n') {
          line_.pop_back();
          EndHeader();
        } else if (line_.size() > kLineMax) {
          state_ = State::kOutOfStep;
        }
        break;
      case State::kBulkBody: {
        const auto take = static_cast<size_t>(
            std::min<int64_t>(body_left_, static_cast<int64_t>(bytes.size() - i)));
        for (size_t k = 0; first_element_ && k < take && name_.size() < kNameMax; ++k) {
          const auto b = static_cast<unsigned char>(bytes[i + k]);
          name_.push_back(static_cast<char>(std::toupper(b)));
        }
        i += take;
        offset_ += take;
        body_left_ -= static_cast<int64_t>(take);
        if (body_left_ == 0) state_ = State::kBulkCr;
        break;
      }
      case State::kBulkCr:
      case State::kBulkLf: {
        const char want = state_ == State::kBulkCr ? '\r' : '\n';
        ++i;
        ++offset_;
        if (c != want) {
          state_ = State::kOutOfStep;
        } else if (state_ == State::kBulkCr) {
          state_ = State::kBulkLf;
        } else {
          EndElement(done);
        }
        break;
      }
      case State::kOutOfStep:
        break;
    }
  }
  if (state_ == State::kOutOfStep) offset_ += bytes.size() - i;
}

}  // namespace protean::harness::proxy::internal
