#pragma once
// RedisReadWaker: the blocking reads of one RedisBroker in progress, and the
// way to end them early (Broker::WakeReads). A blocking XREADGROUP is ended
// with CLIENT UNBLOCK <id> (TIMEOUT: the read answers as if its block had
// run out), sent over a connection of the waker's own, since the pool's may
// all be held by blocked reads.
//
// A read registers (Begin) right before its command is sent and leaves
// (End) when the reply is in. Wake(key) then:
// - unblocks every registered read of `key`; a CLIENT UNBLOCK that finds
//   the client not blocked yet (the command is still on its way) is sent
//   again every millisecond while that read stays registered, for at most
//   kWakeBound;
// - with no read of `key` registered, leaves a mark: the next Begin of
//   `key` consumes it and the read returns at once with nothing (a read
//   offloaded but not started when the stop came).
// Registration and marks are under one mutex, so a read is either seen by
// Wake or sees its mark: none slips between them.
//
// The control connection has short timeouts (kControlTimeout) and does not
// retry a failed connect: with Redis unreachable a wake gives up quickly,
// and the blocked read fails on its own.
//
// Thread-safety: every method may be called from any thread.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "adapters/real/redis_options.h"
#include "core/mutex.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {

class RedisConnection;

class RedisReadWaker {
 public:
  static constexpr Duration kWakeBound = Seconds(1);
  static constexpr Duration kControlTimeout = Millis(500);

  explicit RedisReadWaker(const RedisOptions& options);
  ~RedisReadWaker();
  RedisReadWaker(const RedisReadWaker&) = delete;
  RedisReadWaker& operator=(const RedisReadWaker&) = delete;

  // The key of a consumer's reads of one group of one stream.
  static std::string Key(std::string_view stream, std::string_view group,
                         std::string_view consumer);

  // A read of `key` on the connection whose CLIENT ID is `client_id` is
  // about to be sent: its ticket for End, or nullopt when a wake is waiting
  // for `key` (consumed: the read must return at once with no entries).
  std::optional<uint64_t> Begin(const std::string& key, int64_t client_id);
  void End(uint64_t ticket);
  // See above. Blocks for a round trip (at most about kWakeBound).
  void Wake(const std::string& key);
  // Closes the control connection; later wakes do nothing.
  void Close();

 private:
  struct Read {
    std::string key;
    int64_t client_id = 0;
  };
  bool Registered(uint64_t ticket) const PROTEAN_EXCLUDES(mu_);
  // CLIENT UNBLOCK <client_id>: 1 when it was blocked, 0 when not.
  Result<int64_t> Unblock(int64_t client_id);

  RedisOptions control_options_;
  mutable Mutex mu_;
  std::map<uint64_t, Read> reads_ PROTEAN_GUARDED_BY(mu_);  // by ticket
  // Keys woken with no read registered.
  std::set<std::string, std::less<>> marks_ PROTEAN_GUARDED_BY(mu_);
  uint64_t next_ticket_ PROTEAN_GUARDED_BY(mu_) = 0;
  bool closed_ PROTEAN_GUARDED_BY(mu_) = false;

  Mutex control_mu_;  // one wake's command at a time
  std::unique_ptr<RedisConnection> control_ PROTEAN_GUARDED_BY(control_mu_);
};

}  // namespace protean
