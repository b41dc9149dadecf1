#include "adapters/real/pg_pool.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include <pqxx/pqxx>

#include "adapters/real/pg_error.h"
#include "core/status.h"

namespace protean {

// --- Lease -------------------------------------------------------------------

PgPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      slot_(std::move(other.slot_)),
      discard_(other.discard_) {}

PgPool::Lease& PgPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Return();
    pool_ = std::exchange(other.pool_, nullptr);
    slot_ = std::move(other.slot_);
    discard_ = other.discard_;
  }
  return *this;
}

PgPool::Lease::~Lease() { Return(); }

void PgPool::Lease::Return() {
  if (pool_ != nullptr && slot_ != nullptr) pool_->Release(std::move(slot_), discard_);
  pool_ = nullptr;
  slot_.reset();
}

// --- PgPool ------------------------------------------------------------------

PgPool::PgPool(PgPoolOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {
  PROTEAN_CHECK(options_.pool_size >= 1);
  PROTEAN_CHECK(options_.max_overflow >= 0);
  PROTEAN_CHECK(options_.timeout >= Duration::zero());
}

PgPool::~PgPool() {
  Close();
  MutexLock lock(&mu_);
  PROTEAN_CHECK(open_ == 0);  // every Lease was returned
}

void PgPool::CountClosed(int64_t PgPoolCounters::*reason) {
  MutexLock lock(&mu_);
  ++counters_.closed;
  if (reason != nullptr) ++(counters_.*reason);
}

Result<std::unique_ptr<PgPool::Slot>> PgPool::Open() {
  try {
    auto slot = std::make_unique<Slot>();
    slot->conn = std::make_unique<pqxx::connection>(options_.conninfo);
    // A lost link must surface as broken_connection and the connection be
    // replaced by the pool, never silently re-opened by libpqxx (which loses
    // session state, and took three tries in jtv/libpqxx#205).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    slot->conn->inhibit_reactivation(true);
#pragma GCC diagnostic pop
    if (options_.on_connect) options_.on_connect(*slot->conn);
    slot->opened_at = clock_.Now();
    MutexLock lock(&mu_);
    ++counters_.opened;
    return slot;
  } catch (...) {
    return ClassifyPgError(std::current_exception(), options_.name + ": connect").status;
  }
}

bool PgPool::Usable(Slot& slot) {
  if (options_.recycle.has_value() && clock_.Now() - slot.opened_at >= *options_.recycle) {
    CountClosed(&PgPoolCounters::recycled);
    return false;
  }
  if (!slot.conn->is_open()) {
    CountClosed(&PgPoolCounters::lost);
    return false;
  }
  if (options_.pre_ping) {
    try {
      pqxx::nontransaction ping(*slot.conn, "pre_ping");
      ping.exec("SELECT 1");
    } catch (...) {
      CountClosed(&PgPoolCounters::ping_failures);
      return false;
    }
  }
  return true;
}

Result<PgPool::Lease> PgPool::Acquire() {
  std::unique_ptr<Slot> slot;
  {
    MutexLock lock(&mu_);
    const int64_t cap = options_.pool_size + options_.max_overflow;
    const auto ready = [&]() PROTEAN_REQUIRES(mu_) {
      return closed_ || !idle_.empty() || open_ < cap;
    };
    // The wait is real blocking time, so it uses the steady clock.
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    if (!available_.WaitUntil(lock, deadline, ready)) {
      ++counters_.timeouts;
      return Status::Timeout(options_.name + ": no connection free within pool_timeout " +
                             std::to_string(ToSecondsF(options_.timeout)) + " s (pool_size " +
                             std::to_string(options_.pool_size) + ", max_overflow " +
                             std::to_string(options_.max_overflow) + ", all in use)");
    }
    if (closed_) return Status::Unavailable(options_.name + ": connection pool is closed");
    if (!idle_.empty()) {
      slot = std::move(idle_.front());
      idle_.pop_front();
    } else {
      ++open_;  // reserve the place of the connection about to be opened
    }
  }
  // Validation and connecting happen outside the lock; a rejected idle
  // connection's place is reused by its replacement.
  if (slot != nullptr && !Usable(*slot)) slot.reset();
  if (slot == nullptr) {
    Result<std::unique_ptr<Slot>> opened = Open();
    if (!opened.ok()) {
      MutexLock lock(&mu_);
      --open_;
      available_.NotifyOne();
      return opened.status();
    }
    slot = std::move(*opened);
  }
  return Lease(this, std::move(slot));
}

void PgPool::Release(std::unique_ptr<Slot> slot, bool discard) {
  std::unique_ptr<Slot> to_close;
  {
    MutexLock lock(&mu_);
    if (discard || closed_ || static_cast<int64_t>(idle_.size()) >= options_.pool_size) {
      --open_;
      ++counters_.closed;
      if (discard) ++counters_.lost;
      to_close = std::move(slot);
    } else {
      idle_.push_back(std::move(slot));
    }
    available_.NotifyOne();
  }
  // ~connection says goodbye to the server: outside the lock.
  to_close.reset();
}

PoolStats PgPool::stats() const {
  MutexLock lock(&mu_);
  PoolStats out;
  out.size = options_.pool_size;
  out.checked_in = static_cast<int64_t>(idle_.size());
  out.checked_out = open_ - out.checked_in;
  out.overflow = std::max<int64_t>(0, open_ - options_.pool_size);
  return out;
}

PgPoolCounters PgPool::counters() const {
  MutexLock lock(&mu_);
  return counters_;
}

void PgPool::Close() {
  std::deque<std::unique_ptr<Slot>> to_close;
  {
    MutexLock lock(&mu_);
    closed_ = true;
    to_close.swap(idle_);
    open_ -= static_cast<int64_t>(to_close.size());
    counters_.closed += static_cast<int64_t>(to_close.size());
    available_.NotifyAll();
  }
  to_close.clear();
}

}  // namespace protean
