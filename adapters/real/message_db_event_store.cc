#include "adapters/real/message_db_event_store.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "adapters/real/pg_conninfo.h"
#include "adapters/real/pg_pool.h"
#include "core/status.h"

namespace protean {
namespace {

using Retry = PgPool::Retry;

constexpr const char* kMessageColumns =
    "SELECT id, stream_name, type, position, global_position, data, metadata, time FROM ";

void PrepareMessageDbStatements(pqxx::connection& conn) {
  conn.prepare("mdb_write",
               "SELECT write_message($1::varchar, $2::varchar, $3::varchar, $4::jsonb, "
               "$5::jsonb, $6::bigint)");
  conn.prepare("mdb_stream", std::string(kMessageColumns) +
                                 "get_stream_messages($1::varchar, $2::bigint, $3::bigint)");
  conn.prepare("mdb_category",
               std::string(kMessageColumns) +
                   "get_category_messages($1::varchar, $2::bigint, $3::bigint, $4::varchar, "
                   "$5::bigint, $6::bigint)");
  conn.prepare("mdb_last",
               std::string(kMessageColumns) + "get_last_stream_message($1::varchar, $2::varchar)");
  conn.prepare("mdb_version", "SELECT stream_version($1::varchar)");
  conn.prepare("mdb_find_id", "SELECT stream_name, position FROM messages WHERE id = $1::uuid");
  // Backwards along the messages_category index (category, global_position).
  conn.prepare(
      "mdb_category_head",
      "SELECT max(global_position) FROM messages WHERE category(stream_name) = $1::varchar");
  conn.prepare("mdb_ping", "SELECT message_store_version()");
  // Registered with the server now, on the fresh connection: a server without
  // Message DB fails here, and no PREPARE ever meets a link lost later.
  for (const char* name : {"mdb_write", "mdb_stream", "mdb_category", "mdb_last", "mdb_version",
                           "mdb_find_id", "mdb_category_head", "mdb_ping"}) {
    conn.prepare_now(name);
  }
}

// NULL for nullopt; libpqxx sends a null `const char*` as SQL NULL.
const char* NullableText(const std::optional<std::string>& value) {
  return value.has_value() ? value->c_str() : nullptr;
}

std::optional<std::string> OptionalInt(std::optional<int64_t> value) {
  if (!value.has_value()) return std::nullopt;
  return std::to_string(*value);
}

// The field's text ("" for NULL), copied once.
std::string Text(const pqxx::field& field) {
  return field.is_null() ? std::string() : std::string(field.c_str(), field.size());
}

Result<EventMessage> ToMessage(const pqxx::row& row) {
  EventMessage m;
  m.id = Text(row[0]);
  m.stream_name = Text(row[1]);
  m.type = Text(row[2]);
  m.position = row[3].as<int64_t>();
  m.global_position = row[4].as<int64_t>();
  m.data = Text(row[5]);
  m.metadata = Text(row[6]);  // NULL metadata reads as ""
  Result<TimePoint> time = ParseUtcTimestamp(row[7].c_str());
  if (!time.ok()) return time.status();
  m.time = *time;
  return m;
}

Result<std::vector<EventMessage>> ToMessages(const pqxx::result& result) {
  std::vector<EventMessage> out;
  out.reserve(result.size());
  for (const pqxx::row& row : result) {
    Result<EventMessage> message = ToMessage(row);
    if (!message.ok()) return message.status();
    out.push_back(std::move(*message));
  }
  return out;
}

// Reads exactly `digits` decimal digits at `pos`.
std::optional<int64_t> Digits(std::string_view text, size_t pos, size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int64_t value = 0;
  for (size_t i = pos; i < pos + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

Result<TimePoint> ParseUtcTimestamp(std::string_view text) {
  // YYYY-MM-DD HH:MM:SS[.f{1,6}]
  const auto bad = [&] {
    return Status::Internal("message_db: unexpected timestamp '" + std::string(text) + "'");
  };
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' ||
      text[16] != ':') {
    return bad();
  }
  const auto year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2);
  const auto hour = Digits(text, 11, 2), minute = Digits(text, 14, 2), second = Digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return bad();
  int64_t micros = 0;
  if (text.size() > 19) {
    const size_t digits = text.size() - 20;
    if (text[19] != '.' || digits < 1 || digits > 6) return bad();
    const auto fraction = Digits(text, 20, digits);
    if (!fraction) return bad();
    micros = *fraction;
    for (size_t i = digits; i < 6; ++i) micros *= 10;
  }
  const std::chrono::year_month_day date{std::chrono::year(static_cast<int>(*year)),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return bad();
  const std::chrono::sys_days days(date);
  return TimePoint(std::chrono::duration_cast<Duration>(days.time_since_epoch()) +
                   Seconds(*hour * 3600 + *minute * 60 + *second) + Duration(micros));
}

Result<std::unique_ptr<MessageDbEventStore>> MessageDbEventStore::Create(MessageDbOptions options,
                                                                         const Clock& clock) {
  if (options.max_connections < 1) {
    return Status::InvalidArgument("event_store: max_connections must be at least 1");
  }
  if (options.pool_timeout < Duration::zero()) {
    return Status::InvalidArgument("event_store: pool_timeout must not be negative");
  }
  PgConnParams params;
  params.connect_timeout = options.connect_timeout;
  params.server_settings = {{"search_path", "message_store,public"}, {"DateStyle", "ISO"}};
  Result<std::string> conninfo = BuildPgConninfo(options.database_uri, params);
  if (!conninfo.ok()) {
    return Status::InvalidArgument("event_store: " + conninfo.status().message());
  }
  PgPoolOptions pool;
  pool.conninfo = std::move(*conninfo);
  pool.name = "event_store";
  pool.pool_size = options.max_connections;
  pool.max_overflow = 0;
  pool.recycle = options.pool_recycle;
  pool.pre_ping = options.pool_pre_ping;
  pool.timeout = options.pool_timeout;
  pool.on_connect = PrepareMessageDbStatements;
  return std::unique_ptr<MessageDbEventStore>(new MessageDbEventStore(std::move(pool), clock));
}

MessageDbEventStore::MessageDbEventStore(PgPoolOptions pool_options, const Clock& clock)
    : pool_(std::move(pool_options), clock) {}

MessageDbEventStore::~MessageDbEventStore() { Close(); }

void MessageDbEventStore::Close() { pool_.Close(); }

Status MessageDbEventStore::Ping() {
  return pool_
      .Run<bool>("message_store_version", Retry::kOnLostConnection,
                 [](pqxx::connection& conn, int) {
                   pqxx::nontransaction tx(conn);
                   tx.exec_prepared1("mdb_ping");
                   return Result<bool>(true);
                 })
      .status();
}

Result<int64_t> MessageDbEventStore::Write(const NewEventMessage& message,
                                           std::optional<int64_t> expected_version) {
  const std::optional<std::string> metadata =
      message.metadata.empty() ? std::nullopt : std::optional<std::string>(message.metadata);
  const std::optional<std::string> expected = OptionalInt(expected_version);
  return pool_.Run<int64_t>(
      "write_message", Retry::kOnLostConnection,
      [&](pqxx::connection& conn, int attempt) -> Result<int64_t> {
        pqxx::nontransaction tx(conn);
        if (attempt > 0) {
          // The lost attempt may have committed: its id says so.
          const pqxx::result found = tx.exec_prepared("mdb_find_id", message.id);
          if (!found.empty()) {
            if (found[0][0].as<std::string>() == message.stream_name) {
              return found[0][1].as<int64_t>();
            }
            return Status::Conflict("write_message: id " + message.id + " already written to " +
                                    found[0][0].as<std::string>());
          }
        }
        const pqxx::row row =
            tx.exec_prepared1("mdb_write", message.id, message.stream_name, message.type,
                              message.data, NullableText(metadata), NullableText(expected));
        return row[0].as<int64_t>();
      });
}

Result<std::vector<EventMessage>> MessageDbEventStore::ReadStream(std::string_view stream_name,
                                                                  int64_t position,
                                                                  int64_t batch_size) {
  using Out = std::vector<EventMessage>;
  return pool_.Run<Out>(
      "get_stream_messages", Retry::kOnLostConnection, [&](pqxx::connection& conn, int) {
        pqxx::nontransaction tx(conn);
        return ToMessages(
            tx.exec_prepared("mdb_stream", std::string(stream_name), position, batch_size));
      });
}

Result<std::vector<EventMessage>> MessageDbEventStore::ReadCategory(std::string_view category,
                                                                    const CategoryRead& read) {
  using Out = std::vector<EventMessage>;
  std::optional<std::string> member, size;
  if (read.consumer_group.has_value()) {
    member = std::to_string(read.consumer_group->member);
    size = std::to_string(read.consumer_group->size);
  }
  return pool_.Run<Out>(
      "get_category_messages", Retry::kOnLostConnection, [&](pqxx::connection& conn, int) {
        pqxx::nontransaction tx(conn);
        return ToMessages(tx.exec_prepared("mdb_category", std::string(category), read.position,
                                           read.batch_size, NullableText(read.correlation),
                                           NullableText(member), NullableText(size)));
      });
}

Result<std::optional<EventMessage>> MessageDbEventStore::LastMessage(
    std::string_view stream_name, std::optional<std::string> type) {
  using Out = std::optional<EventMessage>;
  return pool_.Run<Out>("get_last_stream_message", Retry::kOnLostConnection,
                        [&](pqxx::connection& conn, int) -> Result<Out> {
                          pqxx::nontransaction tx(conn);
                          const pqxx::result r = tx.exec_prepared(
                              "mdb_last", std::string(stream_name), NullableText(type));
                          if (r.empty()) return Out();
                          Result<EventMessage> message = ToMessage(r[0]);
                          if (!message.ok()) return message.status();
                          return Out(std::move(*message));
                        });
}

Result<std::optional<int64_t>> MessageDbEventStore::StreamVersion(std::string_view stream_name) {
  using Out = std::optional<int64_t>;
  return pool_.Run<Out>(
      "stream_version", Retry::kOnLostConnection, [&](pqxx::connection& conn, int) {
        pqxx::nontransaction tx(conn);
        const pqxx::row r = tx.exec_prepared1("mdb_version", std::string(stream_name));
        return Result<Out>(r[0].is_null() ? Out() : Out(r[0].as<int64_t>()));
      });
}

Result<std::optional<int64_t>> MessageDbEventStore::CategoryHead(std::string_view category) {
  using Out = std::optional<int64_t>;
  if (!IsCategory(category)) {
    return Status::InvalidArgument("Must be a category: " + std::string(category));
  }
  return pool_.Run<Out>(
      "category_head", Retry::kOnLostConnection, [&](pqxx::connection& conn, int) {
        pqxx::nontransaction tx(conn);
        const pqxx::row r = tx.exec_prepared1("mdb_category_head", std::string(category));
        return Result<Out>(r[0].is_null() ? Out() : Out(r[0].as<int64_t>()));
      });
}

}  // namespace protean
