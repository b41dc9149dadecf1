#include "harness/proxy/internal/connection.h"

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>

namespace protean::harness::proxy::internal {
namespace {

int Index(Side side) { return static_cast<int>(side); }

// How long a cut XACK waits for its reply before the reset anyway.
constexpr std::chrono::milliseconds kCutReplyWait{2000};

PipeAction Worse(PipeAction a, PipeAction b) { return std::max(a, b); }

}  // namespace

Connection::Connection(uint64_t id, Fd client, Fd upstream, bool upstream_connecting, int epoll_fd,
                       size_t buffer_bytes_max, TimePoint connect_deadline)
    : id_(id),
      epoll_fd_(epoll_fd),
      up_(Stream::kUpstream, buffer_bytes_max),
      down_(Stream::kDownstream, buffer_bytes_max),
      connecting_(upstream_connecting),
      connect_deadline_(connect_deadline) {
  fds_[Index(Side::kClient)] = std::move(client);
  fds_[Index(Side::kUpstream)] = std::move(upstream);
  SetNoDelay(fds_[Index(Side::kClient)].get());
  if (!connecting_) SetNoDelay(fds_[Index(Side::kUpstream)].get());
  // No read before epoll reports data (level-triggered, so bytes that came
  // before the registration are reported too): a read only ever follows an
  // epoll_wait, which follows the Sync that applied the latest toxics.
  UpdateInterest();
}

Connection::~Connection() { Close(CloseMode::kGraceful); }

void Connection::SetToxics(const std::vector<ToxicEntry>& toxics, TimePoint now, SplitMix& prng) {
  up_.SetToxics(toxics, now, prng);
  down_.SetToxics(toxics, now, prng);
}

void Connection::OnEvent(Side side, uint32_t events) {
  if (closed_) return;
  if (side == Side::kUpstream && connecting_) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) FinishConnect();
    return;
  }
  Pipe& inbound = side == Side::kClient ? up_ : down_;
  Pipe& outbound = side == Side::kClient ? down_ : up_;
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) inbound.src_readable = true;
  if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) outbound.dst_blocked = false;
}

void Connection::FinishConnect() {
  const int upstream = fds_[Index(Side::kUpstream)].get();
  connect_error_ = SocketError(upstream);
  if (connect_error_ != 0) return;
  connecting_ = false;
  SetNoDelay(upstream);
}

TimePoint Connection::Service(TimePoint now, SplitMix& prng, TrafficCounters* traffic) {
  if (closed_) return kNever;
  TimePoint deadline = kNever;
  if (connect_error_ != 0 || (connecting_ && now >= connect_deadline_)) {
    // Refused or timed out: as Toxiproxy, the client sees its connection
    // close. Accepted and then reset before the proxy looked: a reset.
    Close(connect_error_ == ECONNRESET ? CloseMode::kReset : CloseMode::kGraceful);
    return kNever;
  }
  if (connecting_) deadline = connect_deadline_;
  PipeAction action = Worse(up_.CheckTimers(now, &deadline), down_.CheckTimers(now, &deadline));
  const int client = fds_[Index(Side::kClient)].get();
  const int upstream = fds_[Index(Side::kUpstream)].get();
  if (action == PipeAction::kNone) action = up_.ReadFrom(client, now, prng);
  if (action == PipeAction::kNone && !connecting_) action = down_.ReadFrom(upstream, now, prng);
  if (action == PipeAction::kNone && !connecting_) {
    action = up_.WriteTo(upstream, now, prng, &traffic->upstream, &deadline);
  }
  if (action == PipeAction::kNone) action = CheckCutReply(now, &deadline);
  if (action == PipeAction::kNone) {
    action = down_.WriteTo(client, now, prng, &traffic->downstream, &deadline);
  }
  if (action != PipeAction::kNone) {
    Close(action == PipeAction::kReset ? CloseMode::kReset : CloseMode::kGraceful);
    return kNever;
  }
  if (up_.finished() && down_.finished()) {
    Close(CloseMode::kGraceful);  // both EOFs forwarded: nothing left to carry
    return kNever;
  }
  UpdateInterest();
  return deadline;
}

PipeAction Connection::CheckCutReply(TimePoint now, TimePoint* deadline) {
  if (!awaiting_reply_ && up_.cut_reached()) {
    awaiting_reply_ = true;
    down_.Mute();
    reply_mark_ = down_.bytes_read();
    reply_deadline_ = now + kCutReplyWait;
  }
  if (!awaiting_reply_) return PipeAction::kNone;
  if (down_.bytes_read() > reply_mark_ || now >= reply_deadline_) return PipeAction::kReset;
  *deadline = std::min(*deadline, reply_deadline_);
  return PipeAction::kNone;
}

void Connection::Close(CloseMode mode) {
  if (closed_) return;
  closed_ = true;
  for (Side side : {Side::kClient, Side::kUpstream}) {
    Register(side, 0);
    Fd& fd = fds_[Index(side)];
    if (mode == CloseMode::kReset) {
      CloseWithReset(fd);
    } else {
      CloseGracefully(fd);
    }
  }
}

void Connection::UpdateInterest() {
  const uint32_t client = (up_.WantsRead() ? EPOLLIN : 0u) | (down_.dst_blocked ? EPOLLOUT : 0u);
  const uint32_t upstream =
      connecting_ ? EPOLLOUT
                  : (down_.WantsRead() ? EPOLLIN : 0u) | (up_.dst_blocked ? EPOLLOUT : 0u);
  Register(Side::kClient, client);
  Register(Side::kUpstream, upstream);
}

// A socket with nothing to wait for is taken out of the set: EPOLLHUP and
// EPOLLERR are reported whatever the mask, and would wake the loop forever.
void Connection::Register(Side side, uint32_t events) {
  uint32_t& current = registered_[Index(side)];
  if (events == current) return;
  const int fd = fds_[Index(side)].get();
  if (events == 0) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  } else {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = Token(id_, side);
    ::epoll_ctl(epoll_fd_, current == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
  }
  current = events;
}

}  // namespace protean::harness::proxy::internal
