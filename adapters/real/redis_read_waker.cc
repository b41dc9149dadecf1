#include "adapters/real/redis_read_waker.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "adapters/real/redis_connection.h"

namespace protean {

RedisReadWaker::RedisReadWaker(const RedisOptions& options)
    : control_options_(WithShortTimeouts(options, kControlTimeout, "read waker")) {}

RedisReadWaker::~RedisReadWaker() = default;

std::string RedisReadWaker::Key(std::string_view stream, std::string_view group,
                                std::string_view consumer) {
  std::string key(stream);
  key.push_back('\0');
  key.append(group);
  key.push_back('\0');
  key.append(consumer);
  return key;
}

std::optional<uint64_t> RedisReadWaker::Begin(const std::string& key, int64_t client_id) {
  MutexLock lock(&mu_);
  if (marks_.erase(key) > 0) return std::nullopt;
  const uint64_t ticket = ++next_ticket_;
  reads_.emplace(ticket, Read{key, client_id});
  return ticket;
}

void RedisReadWaker::End(uint64_t ticket) {
  MutexLock lock(&mu_);
  reads_.erase(ticket);
}

bool RedisReadWaker::Registered(uint64_t ticket) const {
  MutexLock lock(&mu_);
  return reads_.count(ticket) > 0;
}

void RedisReadWaker::Wake(const std::string& key) {
  std::vector<std::pair<uint64_t, int64_t>> targets;  // ticket, client id
  {
    MutexLock lock(&mu_);
    if (closed_) return;
    for (const auto& [ticket, read] : reads_) {
      if (read.key == key) targets.emplace_back(ticket, read.client_id);
    }
    if (targets.empty()) marks_.insert(key);
  }
  const auto deadline = std::chrono::steady_clock::now() + kWakeBound;
  for (const auto& [ticket, client_id] : targets) {
    while (true) {
      Result<int64_t> unblocked = Unblock(client_id);
      // Unreachable: the blocked read meets the same outage and fails.
      if (!unblocked.ok() || *unblocked == 1 || !Registered(ticket)) break;
      if (std::chrono::steady_clock::now() >= deadline) break;
      // Not blocked yet: the command is still on its way to the server.
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

Result<int64_t> RedisReadWaker::Unblock(int64_t client_id) {
  MutexLock lock(&control_mu_);
  if (control_ == nullptr || control_->broken()) {
    {
      MutexLock state(&mu_);
      if (closed_) return Status::Unavailable(control_options_.owner + " is closed");
    }
    auto opened = RedisConnection::Open(control_options_);
    if (!opened.ok()) return opened.status();
    control_ = std::move(opened).value();
  }
  auto reply = control_->Command(RedisArgs{"CLIENT", "UNBLOCK"}.Add(client_id));
  if (!reply.ok()) return reply.status();
  if ((*reply)->type != REDIS_REPLY_INTEGER) {
    return Status::Internal("CLIENT UNBLOCK: unexpected Redis reply (not an integer)");
  }
  return (*reply)->integer;
}

void RedisReadWaker::Close() {
  {
    MutexLock lock(&mu_);
    closed_ = true;
    marks_.clear();
  }
  MutexLock lock(&control_mu_);
  control_.reset();
}

}  // namespace protean
