#pragma once
// MessageDbEventStore: the `message_db` EventStore (core/event_store.h) over a
// real Message DB 1.3 server, through its SQL functions only (never the
// messages table directly, except to look a message up by id when a write is
// retried, and for a category's head, which Message DB has no function for):
//   Write        write_message($1::varchar ... $4::jsonb, $5::jsonb, $6::bigint)
//   ReadStream   get_stream_messages($1::varchar, $2::bigint, $3::bigint)
//   ReadCategory get_category_messages(category, position, batch_size,
//                correlation, consumer_group_member, consumer_group_size)
//   LastMessage  get_last_stream_message($1::varchar, $2::varchar)
//   StreamVersion stream_version($1::varchar)
//   CategoryHead max(global_position) WHERE category(stream_name) = $1
//                (the messages_category index)
//   Ping         SELECT message_store_version()
// all as statements prepared on each new connection (a server without
// Message DB fails the connect with kInternal). The server validates
// everything (names, uuids, JSON, consumer groups) and its errors map to
// Status in ClassifyPgError (pg_error.h): "Wrong expected version" and a
// duplicate id are kConflict; "Must be a stream name", "Must be a category",
// "Correlation must be a category", "Consumer group ...", a bad uuid or JSON
// and a negative LIMIT are kInvalidArgument.
//
// Every connection gets `-c search_path=message_store,public` in its conninfo
// options (added to the URI's query string, or to an existing `options`), as
// the functions' bodies use unqualified names (reference/backends.md §3).
// Message time is the server's now() at UTC, a timestamp without time zone,
// parsed as UTC. NULL metadata is returned as "" and "" is written as NULL.
//
// Connections come from a PgPool (pg_pool.h) of `max_connections` (no
// overflow). A call whose connection is lost is retried once on a fresh one:
// reads always; Write too, because its id makes it idempotent: the retry
// first looks the id up and, if the lost attempt committed it to the same
// stream, returns that position instead of writing again.
//
// Thread-safety: every method may be called from any thread. After Close()
// every call returns kUnavailable.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/real/pg_pool.h"
#include "core/clock.h"
#include "core/event_store.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {

struct MessageDbOptions {
  std::string database_uri;     // libpq URI or key/value string
  int64_t max_connections = 5;  // the pool's size; no overflow
  Duration pool_timeout = Seconds(30);
  std::optional<Duration> pool_recycle = Seconds(1800);  // nullopt: never
  // Off, as in Protean's client (message-db-py's psycopg2 pool validates
  // nothing): every call here is retried once on a fresh connection when
  // the one it got turns out lost (writes too: the message id makes that
  // safe), so a ping before each call would only add a round trip to every
  // read of a subscription's poll loop.
  bool pool_pre_ping = false;
  std::optional<Duration> connect_timeout;
};

class MessageDbEventStore final : public EventStore {
 public:
  // Validates the options (kInvalidArgument) and builds the pool; connects
  // lazily. `clock` (connection age) must outlive the store.
  static Result<std::unique_ptr<MessageDbEventStore>> Create(MessageDbOptions options,
                                                             const Clock& clock);
  ~MessageDbEventStore() override;
  MessageDbEventStore(const MessageDbEventStore&) = delete;
  MessageDbEventStore& operator=(const MessageDbEventStore&) = delete;

  std::string_view provider() const override { return "message_db"; }
  Status Ping() override;
  void Close() override;

  Result<int64_t> Write(const NewEventMessage& message,
                        std::optional<int64_t> expected_version) override;
  Result<std::vector<EventMessage>> ReadStream(std::string_view stream_name, int64_t position,
                                               int64_t batch_size) override;
  Result<std::vector<EventMessage>> ReadCategory(std::string_view category,
                                                 const CategoryRead& read) override;
  Result<std::optional<EventMessage>> LastMessage(std::string_view stream_name,
                                                  std::optional<std::string> type) override;
  Result<std::optional<int64_t>> StreamVersion(std::string_view stream_name) override;
  Result<std::optional<int64_t>> CategoryHead(std::string_view category) override;

  // The pool itself, for tests and pool metrics.
  PgPool& pool() { return pool_; }

 private:
  MessageDbEventStore(PgPoolOptions pool_options, const Clock& clock);

  PgPool pool_;
};

// "2024-05-01 12:34:56.123456" (ISO DateStyle, 0 to 6 fraction digits) read
// as UTC; kInternal for any other text.
Result<TimePoint> ParseUtcTimestamp(std::string_view text);

}  // namespace protean
