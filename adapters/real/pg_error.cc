#include "adapters/real/pg_error.h"

#include <exception>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "core/status.h"

namespace protean {
namespace {

// The first line of a libpq message, without its "ERROR:  " / "FATAL:  "
// severity prefix (the CONTEXT lines that follow are PL/pgSQL noise).
std::string FirstLine(std::string_view text) {
  for (std::string_view prefix : {"ERROR:  ", "FATAL:  ", "PANIC:  "}) {
    if (text.substr(0, prefix.size()) == prefix) {
      text.remove_prefix(prefix.size());
      break;
    }
  }
  const size_t newline = text.find('\n');
  if (newline != std::string_view::npos) text = text.substr(0, newline);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  return std::string(text);
}

std::string Describe(std::string_view what, std::string_view detail, std::string_view sqlstate) {
  std::string out = std::string(what) + ": " + FirstLine(detail);
  if (!sqlstate.empty()) out += " (SQLSTATE " + std::string(sqlstate) + ")";
  return out;
}

// An sql_error by its SQLSTATE.
PgFailure FromSqlState(const pqxx::sql_error& e, std::string_view what) {
  const std::string state = e.sqlstate();
  const std::string message = Describe(what, e.what(), state);
  if (state.empty()) {
    // libpqxx #280: a lost or timed-out link once surfaced this way.
    return {Status::Unavailable(message), true};
  }
  const std::string_view cls = std::string_view(state).substr(0, 2);
  if (cls == "08" || state == "57P01" || state == "57P02" || state == "57P03") {
    return {Status::Unavailable(message), true};
  }
  if (state == "57014") return {Status::Timeout(message), false};
  if (state == "23505") return {Status::Conflict(message), false};
  if (state == "P0001") {
    if (message.find("Wrong expected version") != std::string::npos) {
      return {Status::Conflict(message), false};
    }
    return {Status::InvalidArgument(message), false};
  }
  if (cls == "22" || cls == "23") return {Status::InvalidArgument(message), false};
  if (cls == "53") return {Status::Unavailable(message), false};
  if (cls == "40") return {Status::Unavailable(message), false};
  return {Status::Internal(message), false};
}

}  // namespace

PgFailure ClassifyPgError(std::exception_ptr error, std::string_view what) noexcept {
  try {
    try {
      std::rethrow_exception(error);
    } catch (const pqxx::broken_connection& e) {
      return {Status::Unavailable(Describe(what, e.what(), "")), true};
    } catch (const pqxx::sql_error& e) {
      return FromSqlState(e, what);
    } catch (const pqxx::in_doubt_error& e) {
      // The link died during COMMIT: the outcome is unknown.
      return {Status::Unavailable(Describe(what, e.what(), "")), true};
    } catch (const pqxx::transaction_rollback& e) {
      return {Status::Unavailable(Describe(what, e.what(), "")), false};
    } catch (const pqxx::failure& e) {
      return {Status::Internal(Describe(what, e.what(), "")), false};
    } catch (const std::exception& e) {
      return {Status::Internal(Describe(what, e.what(), "")), false};
    } catch (...) {
      return {Status::Internal(std::string(what) + ": unknown exception"), false};
    }
  } catch (...) {
    // Building a message failed (out of memory): keep the code.
    return {Status(StatusCode::kInternal, std::string()), false};
  }
}

}  // namespace protean
