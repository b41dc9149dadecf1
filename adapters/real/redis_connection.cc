#include "adapters/real/redis_connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <thread>

namespace protean {
namespace {

// hiredis writes with write(2): a peer that went away would kill the
// process with SIGPIPE. Ignored once, and only if nobody installed a handler.
void IgnoreSigpipeOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current = {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      struct sigaction ignore = {};
      ignore.sa_handler = SIG_IGN;
      sigemptyset(&ignore.sa_mask);
      sigaction(SIGPIPE, &ignore, nullptr);
    }
  });
}

timeval ToTimeval(Duration d) {
  const int64_t us = std::max<int64_t>(d.count(), 1000);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(us / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1000000);
  return tv;
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

Status ContextStatus(const redisContext* context, std::string_view command) {
  const std::string what = std::string(command) + ": ";
  if (context == nullptr) return Status::Unavailable(what + "no Redis connection");
  const std::string_view err = context->errstr;
  switch (context->err) {
    case 0:
      return Status::Unavailable(what + "no reply from Redis");
    case REDIS_ERR_IO:
      // hiredis 0.14 has no REDIS_ERR_TIMEOUT: SO_RCVTIMEO/SO_SNDTIMEO expiry
      // is EAGAIN, a connect timeout is ETIMEDOUT.
      if (Contains(err, "Resource temporarily unavailable") || Contains(err, "timed out")) {
        return Status::Timeout(what + "Redis did not answer in time (" + std::string(err) + ")");
      }
      return Status::Unavailable(what + "Redis I/O error: " + std::string(err));
    case REDIS_ERR_EOF:
      return Status::Unavailable(what + "Redis closed the connection (" + std::string(err) + ")");
    case REDIS_ERR_PROTOCOL:
      return Status::Internal(what + "Redis protocol error: " + std::string(err));
    case REDIS_ERR_OOM:
      return Status::Internal(what + "out of memory in hiredis");
    default:
      if (Contains(err, "timed out")) {
        return Status::Timeout(what + "Redis did not answer in time (" + std::string(err) + ")");
      }
      return Status::Unavailable(what + "cannot reach Redis: " + std::string(err));
  }
}

Status ErrorReplyStatus(std::string_view err, std::string_view command) {
  const std::string message = std::string(command) + ": " + std::string(err);
  if (StartsWith(err, "NOGROUP") || StartsWith(err, "ERR no such key") ||
      StartsWith(err, "UNBLOCKED") || StartsWith(err, "NOSCRIPT")) {
    return Status::NotFound(message);
  }
  if (StartsWith(err, "LOADING") || StartsWith(err, "BUSY ") || StartsWith(err, "MASTERDOWN") ||
      StartsWith(err, "READONLY") || StartsWith(err, "OOM") || StartsWith(err, "NOAUTH") ||
      StartsWith(err, "WRONGPASS") || StartsWith(err, "NOPERM") || StartsWith(err, "TRYAGAIN") ||
      StartsWith(err, "CLUSTERDOWN")) {
    return Status::Unavailable(message);
  }
  if (StartsWith(err, "WRONGTYPE") || StartsWith(err, "EXECABORT") ||
      StartsWith(err, "ERR syntax error") || StartsWith(err, "ERR wrong number of arguments") ||
      Contains(err, "Invalid stream ID") || Contains(err, "is not an integer") ||
      Contains(err, "invalid expire time") || Contains(err, "must be >= 0") ||
      Contains(err, "equal or smaller than the target stream top item") ||
      StartsWith(err, "ERR unknown command")) {
    return Status::InvalidArgument(message);
  }
  return Status::Internal(message);
}

}  // namespace

Status RedisStatus(const redisContext* context, const redisReply* reply, std::string_view command) {
  if (reply == nullptr || (context != nullptr && context->err != 0)) {
    return ContextStatus(context, command);
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    return ErrorReplyStatus(std::string_view(reply->str, reply->len), command);
  }
  return Status::Internal(std::string(command) + ": unexpected reply type " +
                          std::to_string(reply->type));
}

bool RedisErrorContains(const redisReply* reply, std::string_view text) {
  return reply != nullptr && reply->type == REDIS_REPLY_ERROR &&
         Contains(std::string_view(reply->str, reply->len), text);
}

// ---- RedisArgs ----

RedisArgs::RedisArgs(std::initializer_list<std::string_view> args) {
  PROTEAN_CHECK(args.size() >= 1);
  args_.reserve(args.size() + 4);
  for (std::string_view arg : args) args_.emplace_back(arg);
}

RedisArgs& RedisArgs::Add(std::string_view arg) {
  args_.emplace_back(arg);
  return *this;
}

RedisArgs& RedisArgs::Add(int64_t number) {
  args_.push_back(std::to_string(number));
  return *this;
}

void RedisArgs::View(std::vector<const char*>* argv, std::vector<size_t>* lens) const {
  argv->clear();
  lens->clear();
  argv->reserve(args_.size());
  lens->reserve(args_.size());
  for (const std::string& arg : args_) {
    argv->push_back(arg.data());
    lens->push_back(arg.size());
  }
}

// ---- RedisConnection ----

Result<std::unique_ptr<RedisConnection>> RedisConnection::Open(const RedisOptions& options) {
  IgnoreSigpipeOnce();
  std::unique_ptr<RedisConnection> connection(new RedisConnection(options));
  PROTEAN_RETURN_IF_ERROR(connection->ConnectWithBackoff(/*reconnect=*/false));
  return connection;
}

RedisConnection::~RedisConnection() {
  MutexLock lock(&fd_mu_);
  if (context_ != nullptr) redisFree(context_);
}

Status RedisConnection::ConnectWithBackoff(bool reconnect) {
  Duration backoff = options_.reconnect_backoff;
  Status last;
  for (int attempt = 0; attempt <= options_.reconnect_attempts_max; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
    bool retryable = true;
    last = ConnectOnce(reconnect || attempt > 0, &retryable);
    if (last.ok() || !retryable) break;
  }
  if (last.ok()) return last;
  return Status(last.code(),
                options_.owner + " at " + options_.url.Redacted() + ": " + last.message());
}

Status RedisConnection::ConnectOnce(bool reconnect, bool* retryable) {
  {
    MutexLock lock(&fd_mu_);
    if (reconnect && context_ != nullptr) {
      // Reuses host, port and connect timeout; NOT the command timeout.
      if (redisReconnect(context_) != REDIS_OK) return RedisStatus(context_, nullptr, "connect");
    } else {
      if (context_ != nullptr) redisFree(context_);
      context_ = redisConnectWithTimeout(options_.url.host.c_str(), options_.url.port,
                                         ToTimeval(options_.connect_timeout));
      if (context_ == nullptr || context_->err != 0) {
        return RedisStatus(context_, nullptr, "connect");
      }
    }
  }
  ++connects_;
  return Prepare(retryable);
}

Status RedisConnection::Prepare(bool* retryable) {
  PROTEAN_RETURN_IF_ERROR(RestoreTimeout());
  if (!options_.url.password.empty()) {
    RedisArgs auth{"AUTH"};
    if (!options_.url.username.empty()) auth.Add(options_.url.username);
    auth.Add(options_.url.password);
    auto reply = Command(auth);
    if (!reply.ok()) {
      *retryable = broken();  // a refused password stays refused
      return reply.status();
    }
  }
  if (!options_.client_name.empty()) {
    auto reply = Command(RedisArgs{"CLIENT", "SETNAME", options_.client_name});
    if (!reply.ok()) {
      *retryable = broken();
      return reply.status();
    }
  }
  if (options_.url.db != 0) {
    auto reply = Command(RedisArgs{"SELECT"}.Add(int64_t{options_.url.db}));
    if (!reply.ok()) {
      *retryable = broken();
      return reply.status();
    }
  }
  return Status::Ok();
}

Status RedisConnection::Reconnect() { return ConnectWithBackoff(/*reconnect=*/true); }

Status RedisConnection::SetTimeout(Duration timeout) {
  if (broken()) return RedisStatus(context_, nullptr, "set timeout");
  if (redisSetTimeout(context_, ToTimeval(timeout)) != REDIS_OK) {
    return RedisStatus(context_, nullptr, "set timeout");
  }
  return Status::Ok();
}

Result<RedisReply> RedisConnection::Command(const RedisArgs& args) {
  if (broken()) return RedisStatus(context_, nullptr, args.name());
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  args.View(&argv, &lens);
  RedisReply reply(static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (!reply || reply->type == REDIS_REPLY_ERROR) {
    return RedisStatus(context_, reply.get(), args.name());
  }
  return reply;
}

Result<std::vector<RedisReply>> RedisConnection::Pipeline(const std::vector<RedisArgs>& commands) {
  PROTEAN_RETURN_IF_ERROR(Send(commands));
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (const RedisArgs& command : commands) {
    PROTEAN_ASSIGN_OR_RETURN(RedisReply reply, NextReply(command.name()));
    replies.push_back(std::move(reply));
  }
  return replies;
}

Result<RedisReply> RedisConnection::NextReply(std::string_view command) {
  if (broken()) return RedisStatus(context_, nullptr, command);
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
    if (raw != nullptr) freeReplyObject(raw);
    return RedisStatus(context_, nullptr, command);
  }
  return RedisReply(static_cast<redisReply*>(raw));
}

Result<RedisReply> RedisConnection::Transaction(const std::vector<RedisArgs>& commands) {
  std::vector<RedisArgs> all;
  all.reserve(commands.size() + 2);
  all.push_back(RedisArgs{"MULTI"});
  all.insert(all.end(), commands.begin(), commands.end());
  all.push_back(RedisArgs{"EXEC"});
  auto replies = Pipeline(all);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i + 1 < all.size(); ++i) {
    const redisReply* queued = (*replies)[i].get();
    if (queued->type == REDIS_REPLY_ERROR) return RedisStatus(context_, queued, all[i].name());
  }
  RedisReply exec = std::move(replies->back());
  if (exec->type == REDIS_REPLY_ERROR) return RedisStatus(context_, exec.get(), "EXEC");
  if (exec->type != REDIS_REPLY_ARRAY || exec->elements != commands.size()) {
    return Status::Internal("EXEC: unexpected Redis reply (transaction not executed)");
  }
  return exec;
}

Status RedisConnection::Send(const std::vector<RedisArgs>& commands) {
  if (commands.empty()) return Status::Ok();
  if (broken()) return RedisStatus(context_, nullptr, commands.front().name());
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const RedisArgs& command : commands) {
    command.View(&argv, &lens);
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
      return RedisStatus(context_, nullptr, command.name());
    }
  }
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(context_, &done) != REDIS_OK) {
      return RedisStatus(context_, nullptr, commands.front().name());
    }
  }
  return Status::Ok();
}

Result<std::optional<RedisReply>> RedisConnection::ReadReply(Duration timeout) {
  if (broken()) return RedisStatus(context_, nullptr, "read");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) {
      return RedisStatus(context_, nullptr, "read");
    }
    if (raw != nullptr) return std::optional<RedisReply>(RedisReply(static_cast<redisReply*>(raw)));
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::optional<RedisReply>();
    pollfd pfd{context_->fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 60000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return Status::Unavailable("read: poll failed: " + std::to_string(errno));
    if (ready == 0) continue;  // the deadline check above ends the loop
    if (redisBufferRead(context_) != REDIS_OK) return RedisStatus(context_, nullptr, "read");
  }
}

Result<int64_t> RedisConnection::ClientId() {
  if (client_id_connects_ == connects_ && !broken()) return client_id_;
  auto reply = Command(RedisArgs{"CLIENT", "ID"});
  if (!reply.ok()) return reply.status();
  if ((*reply)->type != REDIS_REPLY_INTEGER) {
    return Status::Internal("CLIENT ID: unexpected Redis reply (not an integer)");
  }
  client_id_ = (*reply)->integer;
  client_id_connects_ = connects_;
  return client_id_;
}

bool RedisConnection::HasStrayInput() const {
  if (broken()) return true;
  const redisReader* reader = context_->reader;
  if (reader != nullptr && reader->len > reader->pos) return true;
  pollfd pfd{context_->fd, POLLIN, 0};
  return poll(&pfd, 1, 0) != 0;  // readable, hung up, or poll failed
}

void RedisConnection::Interrupt() {
  MutexLock lock(&fd_mu_);
  if (context_ != nullptr && context_->fd >= 0) shutdown(context_->fd, SHUT_RDWR);
}

}  // namespace protean
