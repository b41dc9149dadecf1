#pragma once
// Status and Result<T>: how every port and engine call reports failure.
//
// A Status carries one of a few codes a caller reacts to differently
// (unavailable -> retry later, timeout, not found, conflict, invalid argument,
// internal) plus a human-readable message. Library errors (hiredis, pqxx) are
// converted to a Status in one function per adapter and never cross a port.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace protean {

enum class StatusCode : uint8_t {
  kOk = 0,
  kUnavailable,      // the backend cannot be reached; retrying later may work
  kTimeout,          // the call did not finish within its budget
  kNotFound,         // the named thing does not exist
  kConflict,         // optimistic concurrency (expected version) failed
  kInvalidArgument,  // the request itself is wrong; retrying will not help
  kInternal,         // anything else: a bug or an unexpected backend reply
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Timeout(std::string m) { return {StatusCode::kTimeout, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "UNAVAILABLE: connection refused" (or "OK").
  std::string ToString() const;

  bool operator==(const Status& other) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status::Internal("Result constructed from an ok Status");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return Checked(); }
  const T& value() const& { return Checked(); }
  T&& value() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &Checked(); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return Checked(); }

 private:
  T& Checked() const {
    if (!value_) {
      std::fprintf(stderr, "Result::value() on error: %s\n", status_.ToString().c_str());
      std::abort();
    }
    return const_cast<T&>(*value_);
  }
  Status status_;
  std::optional<T> value_;
};

}  // namespace protean

// Always-on invariant check for programmer errors: aborts with file:line.
#define PROTEAN_CHECK(cond)                                                             \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

// Propagates a non-ok Status from an expression returning Status.
#define PROTEAN_RETURN_IF_ERROR(expr)      \
  do {                                     \
    ::protean::Status _st = (expr);        \
    if (!_st.ok()) return _st;             \
  } while (0)
