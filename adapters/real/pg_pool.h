#pragma once
// PgPool: the bounded pool of libpqxx connections behind every PostgreSQL
// adapter (PostgresDatabase, MessageDbEventStore). libpqxx 6.4 has no pool
// and its connections are not movable, so each lives in a unique_ptr.
//
// Semantics follow SQLAlchemy's QueuePool, which Protean configures:
//   - at most `pool_size + max_overflow` connections are open at once;
//     connections are opened lazily, on demand;
//   - a returned connection is kept idle while fewer than `pool_size` are
//     idle, otherwise it is closed (so overflow connections close on return);
//   - Acquire waits up to `timeout` for a free connection, then fails with
//     kTimeout; it never waits while it may still open one;
//   - on checkout, a connection older than `recycle` (by the Clock) is closed
//     and replaced, and with `pre_ping` a `SELECT 1` that fails replaces it;
//     idle connections are taken oldest-returned first;
//   - a connection whose call lost the link (PgFailure::connection_lost) is
//     closed, never reused. libpqxx's own reactivation is inhibited, so a
//     connection never silently reconnects and loses its prepared statements.
// Connections are opened and closed outside the pool's lock.
//
// Thread-safety: every method may be called from any thread; a Lease (and its
// connection) belongs to one thread at a time. Leases must be returned
// (destroyed) before the pool is destroyed. After Close(), Acquire and Run
// return kUnavailable; leased connections are closed when returned.

#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <pqxx/connection>

#include "adapters/real/pg_error.h"
#include "core/clock.h"
#include "core/database.h"
#include "core/mutex.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {

struct PgPoolOptions {
  std::string conninfo;           // a libpq URI or key/value string (pg_conninfo.h)
  std::string name = "postgres";  // prefixes error messages, e.g. "databases.default"
  int64_t pool_size = 5;          // >= 1: connections kept open while idle
  int64_t max_overflow = 10;      // >= 0: extra connections under load
  std::optional<Duration> recycle = Seconds(1800);  // nullopt: never
  bool pre_ping = true;
  Duration timeout = Seconds(30);  // the wait for a free connection (pool_timeout)
  // Runs on every new connection, e.g. to prepare statements. May throw.
  std::function<void(pqxx::connection&)> on_connect;
};

// Lifetime totals, for tests and metrics.
struct PgPoolCounters {
  int64_t opened = 0;         // connections opened successfully
  int64_t closed = 0;         // connections closed (any reason)
  int64_t recycled = 0;       // closed on checkout for age
  int64_t ping_failures = 0;  // closed on checkout by a failed pre-ping
  int64_t lost = 0;           // closed after a call lost the link
  int64_t timeouts = 0;       // Acquire calls that waited pool_timeout in vain
};

class PgPool {
 private:
  struct Slot {
    std::unique_ptr<pqxx::connection> conn;
    TimePoint opened_at{};
  };

 public:
  // Whether Run may repeat a call whose connection was lost.
  enum class Retry { kNever, kOnLostConnection };

  // A checked-out connection; returns it to the pool on destruction.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    pqxx::connection& conn() const { return *slot_->conn; }
    // The connection lost its link or is suspect: close it on return.
    void Discard() { discard_ = true; }

   private:
    friend class PgPool;
    Lease(PgPool* pool, std::unique_ptr<Slot> slot) : pool_(pool), slot_(std::move(slot)) {}
    void Return();

    PgPool* pool_ = nullptr;
    std::unique_ptr<Slot> slot_;
    bool discard_ = false;
  };

  // `clock` (connection age for recycle) must outlive the pool. Checks the
  // options (pool_size >= 1, max_overflow >= 0); opens nothing yet.
  PgPool(PgPoolOptions options, const Clock& clock);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // A connection, validated per recycle/pre_ping. kTimeout after `timeout`
  // with every connection in use; kUnavailable when closed or when opening a
  // connection fails.
  Result<Lease> Acquire();

  // Runs `fn(pqxx::connection&, int attempt) -> Result<T>` on a pooled
  // connection. An exception from `fn` becomes a Status (ClassifyPgError,
  // with `what` as context). When the link was lost the connection is
  // discarded, and with Retry::kOnLostConnection the call runs once more on a
  // fresh connection (attempt 1); otherwise the result is kUnavailable.
  // attempts_max is 2: a server that is down fails fast on the reconnect.
  template <typename T, typename Fn>
  Result<T> Run(std::string_view what, Retry retry, Fn&& fn);

  PoolStats stats() const;
  PgPoolCounters counters() const;
  const PgPoolOptions& options() const { return options_; }
  // Closes idle connections now and leased ones when returned. Idempotent.
  void Close();

 private:
  static constexpr int kAttemptsMax = 2;

  Result<std::unique_ptr<Slot>> Open();
  // Whether an idle connection may be handed out (recycle, pre-ping).
  bool Usable(Slot& slot);
  void Release(std::unique_ptr<Slot> slot, bool discard);
  void CountClosed(int64_t PgPoolCounters::*reason);

  const PgPoolOptions options_;
  const Clock& clock_;

  mutable Mutex mu_;
  CondVar available_;
  bool closed_ PROTEAN_GUARDED_BY(mu_) = false;
  int64_t open_ PROTEAN_GUARDED_BY(mu_) = 0;  // idle + leased + being opened
  std::deque<std::unique_ptr<Slot>> idle_ PROTEAN_GUARDED_BY(mu_);
  PgPoolCounters counters_ PROTEAN_GUARDED_BY(mu_);
};

template <typename T, typename Fn>
Result<T> PgPool::Run(std::string_view what, Retry retry, Fn&& fn) {
  Status last = Status::Unavailable(std::string(what) + ": no attempt made");
  for (int attempt = 0; attempt < kAttemptsMax; ++attempt) {
    Result<Lease> lease = Acquire();
    if (!lease.ok()) return lease.status();
    try {
      return fn(lease->conn(), attempt);
    } catch (...) {
      PgFailure failure = ClassifyPgError(std::current_exception(), what);
      if (!failure.connection_lost) return failure.status;
      lease->Discard();
      last = std::move(failure.status);
      if (retry == Retry::kNever) break;
    }
  }
  return last;
}

}  // namespace protean
