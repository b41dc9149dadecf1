#include "adapters/real/redis_pool.h"

#include <chrono>

namespace protean {

RedisPool::Lease::~Lease() {
  if (pool_ != nullptr && connection_ != nullptr) pool_->Release(std::move(connection_));
}

RedisPool::RedisPool(RedisOptions options) : options_(std::move(options)) {
  PROTEAN_CHECK(options_.max_connections >= 1);
}

RedisPool::~RedisPool() {
  Close();
  MutexLock lock(&mu_);
  PROTEAN_CHECK(leased_.empty());  // a lease outlived its pool
}

Status RedisPool::ClosedStatus() const {
  return Status::Unavailable(options_.owner + " is closed");
}

bool RedisPool::closed() const {
  MutexLock lock(&mu_);
  return closed_;
}

int RedisPool::waiting() const {
  MutexLock lock(&mu_);
  return waiting_;
}

int RedisPool::open_connections() const {
  MutexLock lock(&mu_);
  return open_;
}

Result<RedisPool::Lease> RedisPool::Acquire() {
  std::unique_ptr<RedisConnection> connection;
  {
    MutexLock lock(&mu_);
    const auto deadline = std::chrono::steady_clock::now() + options_.pool_timeout;
    while (true) {
      if (closed_) return ClosedStatus();
      if (!idle_.empty()) {
        connection = std::move(idle_.back());
        idle_.pop_back();
        break;
      }
      if (open_ < options_.max_connections) {
        ++open_;
        break;
      }
      ++waiting_;
      const bool freed = freed_.WaitUntil(lock, deadline);
      --waiting_;
      if (!freed && idle_.empty() && open_ >= options_.max_connections && !closed_) {
        return Status::Timeout(options_.owner + ": no free Redis connection within " +
                               std::to_string(ToSecondsF(options_.pool_timeout)) +
                               " s (max_connections=" + std::to_string(options_.max_connections) +
                               ")");
      }
    }
    if (connection != nullptr) leased_.insert(connection.get());
  }
  if (connection == nullptr) {
    auto opened = RedisConnection::Open(options_);
    if (!opened.ok()) {
      MutexLock lock(&mu_);
      --open_;
      freed_.NotifyOne();
      return opened.status();
    }
    connection = std::move(opened).value();
    MutexLock lock(&mu_);
    if (closed_) {
      --open_;
      return ClosedStatus();
    }
    leased_.insert(connection.get());
  } else if (connection->HasStrayInput()) {
    // Dead (killed, timed out, server restarted) or out of step: never read
    // what is waiting as the answer to our command.
    Status reconnected = connection->Reconnect();
    if (!reconnected.ok()) {
      Lease failed(this, std::move(connection));  // goes back, still broken
      return reconnected;
    }
  }
  return Lease(this, std::move(connection));
}

void RedisPool::Release(std::unique_ptr<RedisConnection> connection) {
  MutexLock lock(&mu_);
  leased_.erase(connection.get());
  if (closed_) {
    --open_;
    connection.reset();  // freed under the lock: Close() may not touch it now
  } else {
    idle_.push_back(std::move(connection));
  }
  freed_.NotifyOne();
}

void RedisPool::Close() {
  std::vector<std::unique_ptr<RedisConnection>> idle;
  {
    MutexLock lock(&mu_);
    if (!closed_) {
      closed_ = true;
      idle.swap(idle_);
      open_ -= static_cast<int>(idle.size());
      for (RedisConnection* leased : leased_) leased->Interrupt();
    }
    freed_.NotifyAll();
  }
  // `idle` frees its connections here, outside the lock.
}

bool RedisPool::Retryable(RedisRetry retry, const Status& status) const {
  if (closed()) return false;
  if (status.code() == StatusCode::kTimeout) return options_.retry_on_timeout;
  return status.code() == StatusCode::kUnavailable && retry == RedisRetry::kIdempotent;
}

}  // namespace protean
