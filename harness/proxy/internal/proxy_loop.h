#pragma once
// The event loop of one FaultProxy, run on the proxy's own thread: accepts
// on the listener, connects each client to the upstream, drives every
// Connection, and applies the ControlState (toxics, enabled, timeline).
//
// One epoll set, level-triggered, plus a timerfd armed at the earliest
// instant anything is due (a delayed chunk, a paced write, a toxic's timer,
// the next timeline event) and the proxy's wake-up eventfd. epoll_wait has
// no timeout of its own: the thread sleeps until an event or that instant.
//
// Bounds: connections_max connections (more are accepted and reset at once),
// kEventsPerWaitMax events and kAcceptsPerWakeupMax accepts per wake-up.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "harness/proxy/internal/connection.h"
#include "harness/proxy/internal/control_state.h"
#include "harness/proxy/internal/socket.h"

namespace protean::harness::proxy::internal {

struct LoopOptions {
  size_t connections_max = 256;
  size_t buffer_bytes_max = 256 * 1024;
  std::chrono::milliseconds connect_timeout{5000};
  uint64_t seed = 1;
};

// Written by the loop thread only; read from any thread.
struct LoopCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> active{0};
  std::atomic<uint64_t> bytes_upstream{0};
  std::atomic<uint64_t> bytes_downstream{0};
  std::atomic<uint64_t> bytes_buffered{0};
};

class ProxyLoop {
 public:
  // `control`, `counters` and the eventfd `wake_fd` outlive the loop.
  ProxyLoop(LoopOptions options, Listener listener, SocketAddress upstream, ControlState* control,
            LoopCounters* counters, int wake_fd);
  ~ProxyLoop();
  ProxyLoop(const ProxyLoop&) = delete;
  ProxyLoop& operator=(const ProxyLoop&) = delete;

  // Creates the epoll set and timer. Call once, before Run().
  Status Init();
  // Runs until stop (set by another thread, followed by a write to wake_fd),
  // then closes every connection and the listener.
  void Run(const std::atomic<bool>& stop);

 private:
  void Sync(TimePoint now);
  void SetListening(bool on);
  void Accept(TimePoint now);
  void Open(Fd client, TimePoint now);
  TimePoint ServiceAll(TimePoint now);
  void ArmTimer(TimePoint deadline);
  void Dispatch(uint64_t token, uint32_t events, bool* accept_ready);

  LoopOptions options_;
  Listener listener_;
  SocketAddress upstream_;
  ControlState* control_;
  LoopCounters* counters_;
  int wake_fd_;
  Fd epoll_;
  Fd timer_;
  SplitMix prng_;
  uint64_t seen_version_ = 0;
  bool enabled_ = true;
  bool listener_registered_ = false;
  TimePoint listener_paused_until_{};  // after EMFILE: retry accepting then
  TimePoint timeline_next_ = kNever;
  TimePoint armed_ = kNever;
  std::vector<ToxicEntry> toxics_;
  uint64_t next_id_ = 2;                                         // tokens 0..3 are the loop's own
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;  // by id, oldest first
  TrafficCounters traffic_;
};

}  // namespace protean::harness::proxy::internal
