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
#include <memory>
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

// Where an error was found in configuration (a domain.toml key, a scenario
// file, a handler registration), carried by the Status that reports it so
// the location survives the trip to whoever prints it. `code` is the
// configuration error code (CONFIG_INVALID_VALUE, ...); line and column are
// 1-based, 0 when unknown. The Status's message is the whole formatted error
// ("file:line:col: key: what [CODE]"); `what` is the part after the key.
struct ErrorSource {
  std::string code;
  std::string file;
  std::string key_path;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string what;
};

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

  bool IsUnavailable() const { return code_ == StatusCode::kUnavailable; }
  bool IsTimeout() const { return code_ == StatusCode::kTimeout; }
  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsConflict() const { return code_ == StatusCode::kConflict; }
  bool IsInvalidArgument() const { return code_ == StatusCode::kInvalidArgument; }
  bool IsInternal() const { return code_ == StatusCode::kInternal; }

  // The configuration location of this error, or null.
  const ErrorSource* source() const { return source_.get(); }
  Status WithSource(ErrorSource source) const {
    Status s = *this;
    s.source_ = std::make_shared<const ErrorSource>(std::move(source));
    return s;
  }

  // Code and message; the source is detail.
  bool operator==(const Status& other) const {
    return code_ == other.code_ && message_ == other.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::shared_ptr<const ErrorSource> source_;
};

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
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
#define PROTEAN_CHECK(cond)                                                         \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

// Propagates a non-ok Status from an expression returning Status.
#define PROTEAN_RETURN_IF_ERROR(expr) \
  do {                                \
    ::protean::Status _st = (expr);   \
    if (!_st.ok()) return _st;        \
  } while (0)

// Evaluates `rexpr` (a Result<T>); on error returns its Status, else moves the
// value into `lhs` (a declaration such as `auto x` or an existing variable).
//   PROTEAN_ASSIGN_OR_RETURN(auto entries, broker->ReadNew(...));
#define PROTEAN_ASSIGN_OR_RETURN(lhs, rexpr) \
  PROTEAN_ASSIGN_OR_RETURN_IMPL_(PROTEAN_STATUS_CONCAT_(_result_, __LINE__), lhs, rexpr)
#define PROTEAN_ASSIGN_OR_RETURN_IMPL_(result, lhs, rexpr) \
  auto result = (rexpr);                                   \
  if (!result.ok()) return result.status();                \
  lhs = std::move(result).value()
#define PROTEAN_STATUS_CONCAT_(a, b) PROTEAN_STATUS_CONCAT_IMPL_(a, b)
#define PROTEAN_STATUS_CONCAT_IMPL_(a, b) a##b
