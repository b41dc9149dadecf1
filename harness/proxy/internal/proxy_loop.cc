#include "harness/proxy/internal/proxy_loop.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace protean::harness::proxy::internal {
namespace {

constexpr uint64_t kListenerToken = 0;
constexpr uint64_t kWakeToken = 1;
constexpr uint64_t kTimerToken = 2;
constexpr int kEventsPerWaitMax = 64;
constexpr int kAcceptsPerWakeupMax = 32;
// Out of file descriptors: stop accepting for this long instead of spinning
// on a listener that stays readable.
constexpr std::chrono::milliseconds kAcceptPause{100};

bool AddToEpoll(int epoll_fd, int fd, uint64_t token) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = token;
  return ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void Drain(int fd) {
  uint64_t value = 0;
  [[maybe_unused]] const ssize_t n = ::read(fd, &value, sizeof(value));
}

}  // namespace

ProxyLoop::ProxyLoop(LoopOptions options, Listener listener, SocketAddress upstream,
                     ControlState* control, LoopCounters* counters, int wake_fd)
    : options_(options),
      listener_(std::move(listener)),
      upstream_(upstream),
      control_(control),
      counters_(counters),
      wake_fd_(wake_fd),
      prng_(options.seed) {}

ProxyLoop::~ProxyLoop() = default;

Status ProxyLoop::Init() {
  epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
  timer_ = Fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!epoll_.valid() || !timer_.valid() || !AddToEpoll(epoll_.get(), wake_fd_, kWakeToken) ||
      !AddToEpoll(epoll_.get(), timer_.get(), kTimerToken)) {
    return Status::Internal(std::string("proxy loop: ") + std::strerror(errno));
  }
  return Status::Ok();
}

void ProxyLoop::Run(const std::atomic<bool>& stop) {
  epoll_event events[kEventsPerWaitMax];
  bool accept_ready = false;
  while (!stop.load()) {
    const TimePoint now = SteadyClock::now();
    Sync(now);
    if (accept_ready) Accept(now);
    ArmTimer(ServiceAll(now));
    const int n = ::epoll_wait(epoll_.get(), events, kEventsPerWaitMax, -1);
    accept_ready = false;
    if (n < 0 && errno != EINTR) {
      std::fprintf(stderr, "proxy: epoll_wait: %s\n", std::strerror(errno));
      break;
    }
    for (int i = 0; i < n; ++i) Dispatch(events[i].data.u64, events[i].events, &accept_ready);
  }
  for (auto& [id, connection] : connections_) connection->Close(Connection::CloseMode::kGraceful);
  connections_.clear();
  listener_.Close();
  counters_->active = 0;
  counters_->bytes_buffered = 0;
}

void ProxyLoop::Dispatch(uint64_t token, uint32_t events, bool* accept_ready) {
  if (token == kListenerToken) {
    *accept_ready = true;
  } else if (token == kWakeToken) {
    Drain(wake_fd_);
  } else if (token == kTimerToken) {
    Drain(timer_.get());
    armed_ = kNever;  // fired: the next ArmTimer must set it again
  } else if (auto it = connections_.find(token >> 1); it != connections_.end()) {
    it->second->OnEvent(static_cast<Side>(token & 1), events);
  }
}

void ProxyLoop::Sync(TimePoint now) {
  timeline_next_ = control_->AdvanceTimeline(now);
  if (control_->version() != seen_version_) {
    ControlState::Snapshot snapshot = control_->Read();
    seen_version_ = snapshot.version;
    toxics_ = std::move(snapshot.toxics);
    const bool cut = enabled_ && !snapshot.enabled;
    enabled_ = snapshot.enabled;
    // down: refuse new connections first, so that a client which saw its
    // connection cut cannot connect again before the listener stopped.
    SetListening(enabled_);
    for (auto& [id, connection] : connections_) {
      if (cut) connection->Close(Connection::CloseMode::kGraceful);
      connection->SetToxics(toxics_, now, prng_);
    }
  }
  SetListening(enabled_);
  const bool accepting = listener_.listening() && now >= listener_paused_until_;
  if (accepting != listener_registered_) {
    if (accepting) {
      AddToEpoll(epoll_.get(), listener_.fd(), kListenerToken);
    } else {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener_.fd(), nullptr);
    }
    listener_registered_ = accepting;
  }
}

void ProxyLoop::SetListening(bool on) {
  if (on == listener_.listening()) return;
  if (!on) {
    if (listener_registered_) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener_.fd(), nullptr);
    listener_registered_ = false;
    listener_.StopListening();
    return;
  }
  const Status status = listener_.Listen();
  if (!status.ok()) std::fprintf(stderr, "proxy: %s\n", status.message().c_str());
}

void ProxyLoop::Accept(TimePoint now) {
  if (!listener_registered_) return;
  for (int i = 0; i < kAcceptsPerWakeupMax; ++i) {
    const int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        std::fprintf(stderr, "proxy: accept: %s\n", std::strerror(errno));
        listener_paused_until_ = now + kAcceptPause;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener_.fd(), nullptr);
        listener_registered_ = false;
      }
      return;  // EAGAIN: the backlog is empty
    }
    Fd client(fd);
    if (!enabled_ || connections_.size() >= options_.connections_max) {
      CloseWithReset(client);
      ++counters_->refused;
      continue;
    }
    Open(std::move(client), now);
  }
}

void ProxyLoop::Open(Fd client, TimePoint now) {
  ++counters_->accepted;
  Fd upstream;
  bool in_progress = false;
  if (!ConnectNonBlocking(upstream_, &upstream, &in_progress).ok()) {
    CloseGracefully(client);
    return;
  }
  const uint64_t id = next_id_++;
  auto connection = std::make_unique<Connection>(
      id, std::move(client), std::move(upstream), in_progress, epoll_.get(),
      options_.buffer_bytes_max, now + options_.connect_timeout);
  connection->SetToxics(toxics_, now, prng_);
  connections_.emplace(id, std::move(connection));
}

TimePoint ProxyLoop::ServiceAll(TimePoint now) {
  TimePoint deadline = timeline_next_;
  if (!listener_registered_ && listener_.listening()) {
    deadline = std::min(deadline, listener_paused_until_);
  }
  uint64_t buffered = 0;
  for (auto it = connections_.begin(); it != connections_.end();) {
    Connection& connection = *it->second;
    const TimePoint due = connection.Service(now, prng_, &traffic_);
    if (connection.closed()) {
      it = connections_.erase(it);
      continue;
    }
    deadline = std::min(deadline, due);
    buffered += connection.buffered_bytes();
    ++it;
  }
  counters_->active = connections_.size();
  counters_->bytes_buffered = buffered;
  counters_->bytes_upstream = traffic_.upstream;
  counters_->bytes_downstream = traffic_.downstream;
  return deadline;
}

void ProxyLoop::ArmTimer(TimePoint deadline) {
  if (deadline == armed_) return;
  itimerspec spec{};  // all zero: disarmed
  if (deadline != kNever) {
    const auto since_boot = std::max<std::chrono::nanoseconds>(deadline.time_since_epoch(),
                                                               std::chrono::nanoseconds(1));
    spec.it_value.tv_sec = static_cast<time_t>(since_boot.count() / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(since_boot.count() % 1'000'000'000);
  }
  ::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
  armed_ = deadline;
}

}  // namespace protean::harness::proxy::internal
