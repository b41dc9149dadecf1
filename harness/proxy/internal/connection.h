#pragma once
// One proxied TCP connection: the accepted client socket, the socket to the
// upstream, and a Pipe per direction (upstream = client -> server,
// downstream = server -> client).
//
// Propagation: EOF from one side is forwarded as shutdown(SHUT_WR) on the
// other once the queued bytes are out; a socket error on either side resets
// (RST) both; when both directions are finished the sockets are closed.
//
// The connection registers its sockets with the loop's epoll set itself,
// level-triggered, and only for what it can act on now (no EPOLLIN while its
// queue is full or after EOF, no EPOLLOUT unless a write was refused), so an
// idle or stalled connection never wakes the loop. Owned and driven by one
// ProxyLoop on its thread; not thread-safe.

#include <cstdint>
#include <vector>

#include "harness/proxy/internal/pipe.h"
#include "harness/proxy/internal/socket.h"

namespace protean::harness::proxy::internal {

enum class Side : uint8_t { kClient = 0, kUpstream = 1 };

// Bytes forwarded per direction; written by the loop thread, read by anyone.
struct TrafficCounters {
  uint64_t upstream = 0;
  uint64_t downstream = 0;
};

class Connection {
 public:
  // `upstream_connecting`: the connect to the upstream has not finished yet;
  // the connection is closed if it fails or is not done by connect_deadline.
  // epoll tokens are (id << 1) | side; ids start above the loop's own tokens.
  Connection(uint64_t id, Fd client, Fd upstream, bool upstream_connecting, int epoll_fd,
             size_t buffer_bytes_max, TimePoint connect_deadline);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  static uint64_t Token(uint64_t id, Side side) { return (id << 1) | static_cast<uint64_t>(side); }

  void SetToxics(const std::vector<ToxicEntry>& toxics, TimePoint now, SplitMix& prng);
  // Records what epoll reported for one of the sockets.
  void OnEvent(Side side, uint32_t events);
  // Does everything due at `now` (timers, reads, writes, closes) and returns
  // the next instant it needs to run without an event (kNever: none).
  TimePoint Service(TimePoint now, SplitMix& prng, TrafficCounters* traffic);

  enum class CloseMode : uint8_t { kGraceful, kReset };
  // Both sockets at once; queued bytes are dropped. Idempotent.
  void Close(CloseMode mode);
  bool closed() const { return closed_; }
  size_t buffered_bytes() const { return up_.pending() + down_.pending(); }

 private:
  void FinishConnect();
  void Register(Side side, uint32_t events);
  void UpdateInterest();
  // lost_ack: starts or ends the wait for the reply of a cut XACK.
  PipeAction CheckCutReply(TimePoint now, TimePoint* deadline);

  uint64_t id_;
  int epoll_fd_;
  Fd fds_[2];                 // indexed by Side
  uint32_t registered_[2]{};  // current epoll mask (0 = not in the set)
  Pipe up_;                   // client -> upstream
  Pipe down_;                 // upstream -> client
  bool connecting_;
  int connect_error_ = 0;  // SO_ERROR of a finished connect
  TimePoint connect_deadline_;
  // lost_ack (applied): the XACK is out; the connection is reset as soon as
  // Redis answers (the reply is never forwarded), or at reply_deadline_.
  bool awaiting_reply_ = false;
  uint64_t reply_mark_ = 0;  // down_.bytes_read() when the XACK was out
  TimePoint reply_deadline_{};
  bool closed_ = false;
};

}  // namespace protean::harness::proxy::internal
