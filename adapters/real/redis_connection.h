#pragma once
// RAII over one blocking hiredis 0.14 context, and the one function that
// turns hiredis failures into a Status (RedisStatus). Everything in
// adapters/real/redis_* talks to Redis through this file.
//
// hiredis 0.14 pitfalls handled here (../shared/reference/backends.md §2):
// - redisConnectWithTimeout bounds connect() only: the command timeout is
//   set with redisSetTimeout after every connect AND every redisReconnect
//   (0.14 forgets it on reconnect).
// - Any context error (c->err) kills the context: broken() turns true and
//   the connection must be reconnected before reuse, so a late reply is never
//   read as the answer to the next command.
// - A timeout is c->err == REDIS_ERR_IO with errno EAGAIN ("Resource
//   temporarily unavailable"): kTimeout.
// - SIGPIPE is set to SIG_IGN once per process (only if it was SIG_DFL),
//   because hiredis writes with plain write().
// - Every command goes through redisCommandArgv/redisAppendCommandArgv, so
//   keys and payloads are binary-safe.
//
// Thread-safety: a RedisConnection is used by one thread at a time (the
// pool hands it out); only Interrupt() may be called from another thread.

#include <hiredis/hiredis.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/real/redis_options.h"
#include "core/mutex.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {

// Owns one hiredis reply tree (only the top reply is freed).
class RedisReply {
 public:
  RedisReply() = default;
  explicit RedisReply(redisReply* reply) : reply_(reply) {}
  const redisReply* get() const { return reply_.get(); }
  const redisReply* operator->() const { return reply_.get(); }
  explicit operator bool() const { return reply_ != nullptr; }

 private:
  struct Free {
    void operator()(redisReply* reply) const { freeReplyObject(reply); }
  };
  std::unique_ptr<redisReply, Free> reply_;
};

// The arguments of one command, sent binary-safe. The first is the command
// name, which is all that error messages repeat (never keys or payloads).
class RedisArgs {
 public:
  RedisArgs(std::initializer_list<std::string_view> args);
  RedisArgs& Add(std::string_view arg);
  RedisArgs& Add(int64_t number);
  const std::string& name() const { return args_.front(); }
  size_t size() const { return args_.size(); }
  // argv/argvlen views for hiredis; valid while this object is unchanged.
  void View(std::vector<const char*>* argv, std::vector<size_t>* lens) const;

 private:
  std::vector<std::string> args_;
};

// THE mapping from hiredis failures to Status. `context` failures (a NULL
// reply or c->err) are connection errors: kTimeout for EAGAIN, kUnavailable
// otherwise (kInternal for a protocol error). A REDIS_REPLY_ERROR is mapped
// by its prefix: NOGROUP, "no such key", UNBLOCKED, NOSCRIPT -> kNotFound;
// WRONGTYPE, syntax/argument/ID errors, EXECABORT -> kInvalidArgument;
// LOADING, BUSY, MASTERDOWN, READONLY, OOM, NOAUTH, WRONGPASS, NOPERM ->
// kUnavailable; anything else kInternal. `reply` may be an element of an
// EXEC array or a script result.
Status RedisStatus(const redisContext* context, const redisReply* reply, std::string_view command);

// True when `reply` is an ERROR reply whose text contains `text`.
bool RedisErrorContains(const redisReply* reply, std::string_view text);

class RedisConnection {
 public:
  // Connects with options.connect_timeout, then applies socket_timeout, AUTH
  // and SELECT. Connection failures are retried reconnect_attempts_max
  // times with doubling backoff; AUTH/SELECT errors are not retried.
  static Result<std::unique_ptr<RedisConnection>> Open(const RedisOptions& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // One command. A server ERROR reply is returned as a Status (the
  // connection stays usable); a context error breaks the connection.
  Result<RedisReply> Command(const RedisArgs& args);
  // Sends every command in one write, then reads the replies in order.
  // ERROR replies are returned as replies (the caller inspects them); a
  // context error fails the whole call and breaks the connection.
  Result<std::vector<RedisReply>> Pipeline(const std::vector<RedisArgs>& commands);
  // MULTI, the commands, EXEC in one round trip. Returns EXEC's array, whose
  // elements may be ERROR replies (map them with RedisStatus); a command
  // rejected while queueing (EXECABORT) fails the call with its own error.
  Result<RedisReply> Transaction(const std::vector<RedisArgs>& commands);
  // Sends commands without reading replies (SUBSCRIBE, or a pipeline whose
  // replies are read one by one with NextReply).
  Status Send(const std::vector<RedisArgs>& commands);
  // The next reply of those sent, waiting under the socket timeout; an ERROR
  // reply is returned as a reply. A context error breaks the connection.
  Result<RedisReply> NextReply(std::string_view command);
  // Waits up to `timeout` for the next reply; nullopt when none arrived.
  // Unlike a socket timeout this leaves the connection usable (poll(2)).
  Result<std::optional<RedisReply>> ReadReply(Duration timeout);

  // redisSetTimeout for later commands (>= 1 ms).
  Status SetTimeout(Duration timeout);
  // The timeout the options ask for (restore it after a longer BLOCK read).
  Status RestoreTimeout() { return SetTimeout(options_.socket_timeout); }

  // The context has failed and must be reconnected before reuse.
  bool broken() const { return context_ == nullptr || context_->err != 0; }
  // An idle connection that has input waiting (the server closed it, or a
  // stray reply): unusable without a reconnect. Checked at pool checkout.
  bool HasStrayInput() const;
  // redisReconnect + timeout + AUTH + SELECT, with the bounded backoff.
  Status Reconnect();
  // Wakes a thread blocked on this connection (shutdown(2) of the socket);
  // the blocked call fails and the connection is broken. Thread-safe.
  void Interrupt();

  // CLIENT ID of this connection, asked once per (re)connect: what CLIENT
  // UNBLOCK needs to wake a blocking read on it from another connection.
  Result<int64_t> ClientId();

  const RedisOptions& options() const { return options_; }
  // How many times this connection was (re)established; 1 after Open.
  int64_t connects() const { return connects_; }

 private:
  explicit RedisConnection(const RedisOptions& options) : options_(options) {}
  // One attempt; `retryable` is set false for failures a retry cannot fix.
  Status ConnectOnce(bool reconnect, bool* retryable);
  Status ConnectWithBackoff(bool reconnect);
  Status Prepare(bool* retryable);

  const RedisOptions options_;
  // The owning thread replaces or frees context_ under fd_mu_ and reads it
  // without (it is the only writer); Interrupt(), from any thread, reads it
  // under fd_mu_. Not PROTEAN_GUARDED_BY: the owner's lock-free reads are
  // the point.
  mutable Mutex fd_mu_;
  redisContext* context_ = nullptr;
  int64_t connects_ = 0;
  int64_t client_id_ = 0;           // valid while client_id_connects_ == connects_
  int64_t client_id_connects_ = 0;  // the connect that client_id_ belongs to
};

}  // namespace protean
