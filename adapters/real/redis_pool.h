#pragma once
// RedisPool: at most `max_connections` RedisConnections shared by the threads
// that call one adapter. Acquire() hands out one connection per call (a
// Lease); a blocked read keeps its lease for the whole block.
//
// - Connections are opened lazily; an idle one is reused LIFO. At checkout a
//   connection that is broken, or whose socket has input waiting (the server
//   closed it: CLIENT KILL, timeout, restart), is reconnected first
//   (redisReconnect + timeout + AUTH + SELECT, bounded backoff).
// - When all are leased, Acquire waits up to pool_timeout (kTimeout after).
// - Run() adds the retry policy: after a failure that broke the connection
//   the call is retried once on a reconnected connection when it is safe:
//   a timeout with retry_on_timeout, or a connection error of an idempotent
//   call. Server ERROR replies are never retried.
// - Close() frees idle connections, interrupts leased ones (shutdown(2) wakes
//   a blocked read) and makes later calls fail with kUnavailable; leased
//   connections are freed when their lease ends.
//
// Thread-safety: all methods may be called from any thread. The pool must
// outlive its leases.

#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "adapters/real/redis_connection.h"
#include "adapters/real/redis_options.h"
#include "core/mutex.h"
#include "core/status.h"

namespace protean {

enum class RedisRetry { kIdempotent, kNotIdempotent };

class RedisPool {
 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    RedisConnection& operator*() const { return *connection_; }
    RedisConnection* operator->() const { return connection_.get(); }

   private:
    friend class RedisPool;
    Lease(RedisPool* pool, std::unique_ptr<RedisConnection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    RedisPool* pool_;
    std::unique_ptr<RedisConnection> connection_;
  };

  explicit RedisPool(RedisOptions options);
  ~RedisPool();
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  Result<Lease> Acquire();
  void Close();
  bool closed() const;
  const RedisOptions& options() const { return options_; }
  // Connections currently open (idle + leased).
  int open_connections() const;
  // Callers of Acquire waiting for a connection to be released.
  int waiting() const;

  // Runs fn(RedisConnection&) -> Result<T> on a leased connection, with the
  // retry policy above.
  template <typename T, typename Fn>
  Result<T> Run(RedisRetry retry, Fn&& fn) {
    for (int attempt = 0;; ++attempt) {
      auto lease = Acquire();
      if (!lease.ok()) return lease.status();
      Result<T> result = fn(**lease);
      if (result.ok() || attempt > 0 || !(*lease)->broken() || !Retryable(retry, result.status())) {
        return result;
      }
    }
  }

 private:
  bool Retryable(RedisRetry retry, const Status& status) const;
  void Release(std::unique_ptr<RedisConnection> connection);
  Status ClosedStatus() const;

  const RedisOptions options_;
  mutable Mutex mu_;
  CondVar freed_;
  bool closed_ PROTEAN_GUARDED_BY(mu_) = false;
  int open_ PROTEAN_GUARDED_BY(mu_) = 0;
  int waiting_ PROTEAN_GUARDED_BY(mu_) = 0;
  std::vector<std::unique_ptr<RedisConnection>> idle_ PROTEAN_GUARDED_BY(mu_);
  std::set<RedisConnection*> leased_ PROTEAN_GUARDED_BY(mu_);
};

}  // namespace protean
