#pragma once
// The one place where a libpqxx (6.4) exception becomes a Status, shared by
// every PostgreSQL adapter (PgPool, PostgresDatabase, MessageDbEventStore).
// Call sites catch everything and hand the exception over:
//
//   try { ... } catch (...) { return ClassifyPgError(std::current_exception(), "get").status; }
//
// Mapping (reference/backends.md §3-§4):
//   broken_connection (08xxx, failed connect, lost socket, too many
//     connections), an sql_error without SQLSTATE (libpqxx #280), class 08,
//     and 57P01/57P02/57P03 (backend terminated, server shutting down)
//                                         -> kUnavailable, connection lost
//   in_doubt_error, statement_completion_unknown, transaction_rollback
//     (serialization failure, deadlock: retrying the same call may work)
//                                         -> kUnavailable (connection kept,
//                                            except in_doubt: dropped)
//   57014 query_canceled (statement_timeout)      -> kTimeout
//   23505 unique_violation                -> kConflict
//   P0001 "Wrong expected version"        -> kConflict
//   P0001 other (Message DB's "Must be a stream name", "Must be a category",
//     "Correlation must be a category", "Consumer group ...")
//                                         -> kInvalidArgument
//   class 22 (bad uuid/json, smallint out of range, negative LIMIT) and the
//     rest of class 23                    -> kInvalidArgument
//   class 53 (insufficient resources)     -> kUnavailable
//   anything else (42 syntax/undefined, 25, usage_error, conversion_error,
//     std::exception, unknown)            -> kInternal
//
// The message is "<what>: <first line of the server's message> (SQLSTATE x)".

#include <exception>
#include <string_view>

#include "core/status.h"

namespace protean {

struct PgFailure {
  Status status;
  // The connection must not be used again: close it and, where the call is
  // safe to repeat, retry on a fresh one.
  bool connection_lost = false;
};

// `error` must be non-null. Never throws.
PgFailure ClassifyPgError(std::exception_ptr error, std::string_view what) noexcept;

}  // namespace protean
