// Message DB benchmarks of real_benchmark. BM_MessageDb reads one category
// of kEvents events (written once per process, with Protean's metadata as
// Protean's Message DB adapter writes it) per iteration, back to back:
//   messagedb_category_read_msgs_per_s         an event-store subscription (no-op
//                                              handler on a worker, the default)
//   messagedb_category_read_inline_msgs_per_s  the same with inline_on_loop
//   messagedb_adapter_read_msgs_per_s          the adapter's ReadCategory alone (batch 100)
//   messagedb_raw_read_msgs_per_s              plain get_category_messages calls
//                                              (batch 100) over libpqxx, every
//                                              column, as Message DB's clients read
//   messagedb_raw_narrow_read_msgs_per_s       the same reading three columns only
//                                              (global_position, data, metadata)
//   messagedb_category_over_raw                goal >= 0.7
//   messagedb_category_over_raw_narrow         against the narrow read (no goal)
// Every subscription round has a handler name of its own (argument and round
// in it), so no round resumes after a position an earlier one stored.
// The filled table is analyzed before the reads (AnalyzeMessages says why).
// Needs MESSAGE_DB_URL, and MESSAGE_DB_ADMIN_URL unless MESSAGE_DB_URL's role may
// analyze the table (ci/services.sh writes both); fails without them.
#include <unistd.h>

#include <cstdio>
#include <pqxx/pqxx>
#include <random>
#include <string>

#include <benchmark/benchmark.h>

#include "adapters/real/register.h"
#include "core/engine/engine.h"
#include "core/engine/message.h"
#include "core/storage_wrappers.h"
#include "tests/bench/bench_main.h"
#include "tests/bench/real_support.h"

namespace protean::bench {
namespace {

constexpr int kEvents = 10000;

Result<std::unique_ptr<EventStore>> MessageDb(const Clock& clock) {
  const char* url = Env("MESSAGE_DB_URL");
  if (url == nullptr)
    return Status::InvalidArgument("MESSAGE_DB_URL not set (ci/services.sh start)");
  AdapterRegistry registry;
  RegisterRealAdapters(registry);
  config::EventStoreConfig ec;
  ec.provider = "message_db";
  ec.database_uri = url;
  return registry.CreateEventStore(ec, AdapterEnv{&clock});
}

// The metadata column of an event as Protean writes it: Metadata.to_dict(),
// the "metadata" member of the envelope (its last member).
std::string ProteanMetadata(const std::string& id, const std::string& stream,
                            const std::string& payload) {
  MessageMetadata meta;
  meta.id = id;
  meta.type = "Bench.Happened.v1";
  meta.time = "2026-01-01T00:00:00+00:00";
  meta.stream = stream;
  meta.fqn = "bench.Happened";
  meta.kind = "EVENT";
  meta.stream_category = stream.substr(0, stream.find('-'));
  Result<std::string> envelope = EncodeEnvelope(meta, payload);
  if (!envelope.ok()) return "";
  const size_t at = envelope->find("\"metadata\":");
  if (at == std::string::npos) return "";
  const size_t from = envelope->find('{', at);
  return envelope->substr(from, envelope->size() - 1 - from);
}

// A category of kEvents events over 50 streams, or "" after failing the benchmark.
std::string FillCategory(benchmark::State& state, EventStore& store) {
  // Message DB keeps every id it ever saw: ids and the category are unique per run.
  Prng ids(std::random_device{}());
  const std::string category =
      "benchcat" + std::to_string(getpid()) + "x" + ids.Uuid().substr(0, 8);
  SetStep("writing " + std::to_string(kEvents) + " events to " + category);
  for (int i = 0; i < kEvents; ++i) {
    NewEventMessage m;
    m.id = ids.Uuid();
    m.stream_name = category + "-" + std::to_string(i % 50);
    m.type = "Bench.Happened.v1";
    m.data = R"({"order_id":)" + std::to_string(i) + R"(,"amount":"19.99"})";
    m.metadata = ProteanMetadata(m.id, m.stream_name, m.data);
    Result<int64_t> r = store.Write(m, std::nullopt);
    if (!r.ok()) {
      state.SkipWithError(("writing " + category + ": " + r.status().ToString()).c_str());
      return "";
    }
  }
  return category;
}

// ANALYZE of the messages table, as autovacuum does within a minute of a
// fill in a running database. Without statistics PostgreSQL plans the
// category read as a bitmap scan and a sort of every later row of the
// category (72 ms a batch of 100 half way through a fresh 10,000), so every
// read loop would measure that plan: about 8k msgs/s on a fresh cluster,
// engine and raw alike. Needs the table's owner, its database's or a
// superuser: MESSAGE_DB_ADMIN_URL (ci/services.sh writes it), else
// MESSAGE_DB_URL. False after failing the benchmark.
bool AnalyzeMessages(benchmark::State& state) {
  const std::string which =
      Env("MESSAGE_DB_ADMIN_URL") != nullptr ? "MESSAGE_DB_ADMIN_URL" : "MESSAGE_DB_URL";
  const char* url = Env(which.c_str());
  SetStep("ANALYZE message_store.messages");
  try {
    pqxx::connection owner(url);
    pqxx::nontransaction tx(owner);
    // A role that may not analyze the table only gets a warning: fail instead.
    const pqxx::row may = tx.exec1(
        "SELECT r.rolsuper OR pg_has_role(c.relowner, 'MEMBER') OR "
        "pg_has_role(d.datdba, 'MEMBER') FROM pg_roles r, pg_class c, pg_database d "
        "WHERE r.rolname = current_user AND c.oid = 'message_store.messages'::regclass "
        "AND d.datname = current_database()");
    if (!may[0].as<bool>()) {
      state.SkipWithError((which + " " + url +
                           ": this role may not ANALYZE message_store.messages (not its "
                           "owner, the database's owner or a superuser); set "
                           "MESSAGE_DB_ADMIN_URL to one that may")
                              .c_str());
      return false;
    }
    tx.exec("ANALYZE message_store.messages");
  } catch (const std::exception& e) {
    state.SkipWithError(
        (std::string("ANALYZE message_store.messages through ") + url + ": " + e.what()).c_str());
    return false;
  }
  return true;
}

// msgs/s of an event-store subscription named `name` reading the whole category.
std::optional<double> ReadWithEngine(benchmark::State& state, EventStore* store,
                                     const std::string& category, const std::string& name,
                                     bool inline_on_loop) {
  // Everything a worker touches is declared before the executor (see real_support.h).
  Progress progress(kEvents);
  HandlerRegistration h;
  h.name = name;
  h.stream = category;
  h.inline_on_loop = inline_on_loop;
  h.fn = [&progress](const Message&, HandlerContext&) {
    progress.Add();
    return Status::Ok();
  };
  SubscriptionConfig c;
  c.type = SubscriptionType::kEventStore;
  c.enable_dlq = false;
  c.messages_per_tick = kBatch;
  c.position_update_interval = 1000;
  EventStoreWrapper connection(store);  // the engine's close closes only this
  EngineAdapters adapters;
  adapters.event_store = &connection;
  RealClock clock;
  Prng prng(std::random_device{}());  // ids it draws (positions) must differ per round
  MetricsRegistry metrics;
  RealExecutor loop(clock, kWorkers);
  EngineOptions o;
  o.drain_timeout = Seconds(5);
  Engine engine(loop, prng, metrics, adapters, o, nullptr);
  if (Status st = engine.AddSubscription(h, c); !st.ok()) {
    state.SkipWithError(st.ToString().c_str());
    return std::nullopt;
  }
  const std::optional<double> seconds =
      RunEngine(state, loop, engine, progress,
                {std::to_string(kEvents) + " events handled by " + name + " from " + category,
                 std::chrono::seconds(60), std::chrono::seconds(10)});
  if (!seconds) return std::nullopt;
  return kEvents / *seconds;
}

// msgs/s of a read loop that got `got` events in `seconds`; fails the
// benchmark when that is short of kEvents.
std::optional<double> RateOfRead(benchmark::State& state, const std::string& what, int got,
                                 double seconds) {
  if (got < kEvents) {
    state.SkipWithError(
        (what + ": got " + std::to_string(got) + " of " + std::to_string(kEvents) + " events")
            .c_str());
    return std::nullopt;
  }
  return kEvents / seconds;
}

// msgs/s of a plain libpqxx loop calling the prepared statement `statement`
// (a get_category_messages read whose first column is global_position) in
// batches of kBatch, touching every column of every row.
std::optional<double> ReadRaw(benchmark::State& state, pqxx::connection& conn,
                              const std::string& statement, const std::string& category) {
  SetStep("raw " + statement + " over " + category);
  const SteadyClock::time_point t0 = SteadyClock::now();
  int64_t position = 1;
  int read = 0;
  while (read < kEvents && SecondsSince(t0) < 60) {
    pqxx::nontransaction tx(conn);
    pqxx::result r = tx.exec_prepared(statement, category, position, kBatch);
    if (r.empty()) break;
    for (const auto& row : r) {
      position = row[0].as<int64_t>() + 1;
      for (const auto& field : row) benchmark::DoNotOptimize(field.c_str());
      ++read;
    }
  }
  return RateOfRead(state, "raw " + statement + " read of " + category, read, SecondsSince(t0));
}

// msgs/s of the adapter's ReadCategory alone (batch kBatch), no engine: what
// the store's reads cost the engine before it decodes or handles anything.
std::optional<double> ReadWithAdapter(benchmark::State& state, EventStore& store,
                                      const std::string& category) {
  SetStep("adapter ReadCategory over " + category);
  const SteadyClock::time_point t0 = SteadyClock::now();
  CategoryRead read;
  read.position = 1;
  read.batch_size = kBatch;
  int got = 0;
  while (got < kEvents && SecondsSince(t0) < 60) {
    Result<std::vector<EventMessage>> r = store.ReadCategory(category, read);
    if (!r.ok()) {
      state.SkipWithError(("adapter read of " + category + ": " + r.status().ToString()).c_str());
      return std::nullopt;
    }
    if (r->empty()) break;
    read.position = r->back().global_position + 1;
    got += static_cast<int>(r->size());
  }
  return RateOfRead(state, "adapter read of " + category, got, SecondsSince(t0));
}

void BM_MessageDb(benchmark::State& state) {
  Running running("BM_MessageDb");
  RealClock clock;
  Result<std::unique_ptr<EventStore>> store = MessageDb(clock);
  if (!store.ok()) return state.SkipWithError(store.status().ToString().c_str());
  const std::string category = FillCategory(state, **store);
  if (category.empty() || !AnalyzeMessages(state)) return;
  std::string uri = Env("MESSAGE_DB_URL");
  uri += (uri.find('?') == std::string::npos ? "?" : "&");
  uri += "options=-c%20search_path%3Dmessage_store%2Cpublic";
  pqxx::connection conn(uri);
  // The plain call, every column a message has (what Message DB's clients
  // read: SELECT *, global_position first for the loop's position) ...
  conn.prepare("plain",
               "SELECT global_position, id, stream_name, type, position, data, metadata, time "
               "FROM get_category_messages($1::varchar, $2::bigint, $3::bigint)");
  // ... and a narrower read of three of them, the baseline before 2026-12-03.
  conn.prepare("narrow",
               "SELECT global_position, data, metadata FROM "
               "get_category_messages($1::varchar, $2::bigint, $3::bigint)");
  Samples engine, inline_engine, adapter, raw, narrow, ratio, ratio_narrow;
  int round = 0;
  for (auto _ : state) {
    const std::string r = std::to_string(round++);
    // Back to back on the same category; BENCH_ROUNDS may leave some out.
    std::optional<double> e, i, a, p, n;
    double seconds = 0;
    auto measure = [&](const char* name, std::optional<double>* rate, auto&& read) {
      if (!RoundWanted(name)) return true;
      *rate = read();
      if (*rate) seconds += kEvents / **rate;
      return rate->has_value();
    };
    if (!measure("engine", &e,
                 [&] {
                   return ReadWithEngine(state, store->get(), category, "BenchWorker" + r, false);
                 }) ||
        !measure("inline", &i,
                 [&] {
                   return ReadWithEngine(state, store->get(), category, "BenchInline" + r, true);
                 }) ||
        !measure("adapter", &a, [&] { return ReadWithAdapter(state, **store, category); }) ||
        !measure("raw", &p, [&] { return ReadRaw(state, conn, "plain", category); }) ||
        !measure("narrow", &n, [&] { return ReadRaw(state, conn, "narrow", category); })) {
      break;
    }
    if (e) engine.Add(*e);
    if (i) inline_engine.Add(*i);
    if (a) adapter.Add(*a);
    if (p) raw.Add(*p);
    if (n) narrow.Add(*n);
    if (e && p) ratio.Add(*e / *p);
    if (e && n) ratio_narrow.Add(*e / *n);
    state.SetIterationTime(seconds);
  }
  engine.Publish(state, "engine");
  inline_engine.Publish(state, "inline");
  adapter.Publish(state, "adapter");
  raw.Publish(state, "raw");
  narrow.Publish(state, "narrow");
  ratio.Publish(state, "engine_over_raw");
  ratio_narrow.Publish(state, "engine_over_narrow");
}
BENCHMARK(BM_MessageDb)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(3);

const bool kMessageDbExported = [] {
  ExportMetric("BM_MessageDb", "messagedb_category_read_msgs_per_s", "msgs/s", "engine");
  ExportMetric("BM_MessageDb", "messagedb_category_read_inline_msgs_per_s", "msgs/s", "inline");
  ExportMetric("BM_MessageDb", "messagedb_adapter_read_msgs_per_s", "msgs/s", "adapter");
  ExportMetric("BM_MessageDb", "messagedb_raw_read_msgs_per_s", "msgs/s", "raw");
  ExportMetric("BM_MessageDb", "messagedb_raw_narrow_read_msgs_per_s", "msgs/s", "narrow");
  ExportMetric("BM_MessageDb", "messagedb_category_over_raw", "ratio", "engine_over_raw");
  ExportMetric("BM_MessageDb", "messagedb_category_over_raw_narrow", "ratio", "engine_over_narrow");
  return true;
}();

}  // namespace
}  // namespace protean::bench
