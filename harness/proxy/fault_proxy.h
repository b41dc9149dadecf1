#pragma once
// A FaultProxy is a TCP proxy from one listener to one upstream host:port
// that injects real network faults, named as Toxiproxy names them (toxic.h,
// docs/proxy.md). Test mode puts one in front of each Redis and PostgreSQL
// server; `protean-harness proxy` runs them on their own.
//
// Toxics apply to connections already open as well as to new ones: adding,
// updating or removing one takes effect on every live connection within one
// loop iteration. A timeline switches toxics on and off at instants relative
// to a start. Disabling the proxy (or a `down` toxic) cuts every connection
// and refuses new ones while keeping the port bound.
//
// Threads: one loop thread per started proxy (epoll + timerfd, sleeping
// until the next event or due instant); every public method is thread-safe.
// Resources are bounded by FaultProxyOptions. Stop() (and the destructor)
// closes every socket and joins the thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "harness/proxy/toxic.h"

namespace protean::harness::proxy {

struct FaultProxyOptions {
  std::string name = "proxy";
  std::string listen = "127.0.0.1:0";  // port 0: an ephemeral port, see port()
  std::string upstream;                // host:port, resolved once by Start()
  // Seeds toxicity rolls, jitter and slicer sizes (no other randomness).
  uint64_t seed = 1;
  // More connections than this are accepted and reset at once (refused).
  size_t connections_max = 256;
  // Per connection and direction: reading from a side stops while this many
  // bytes wait to be written to the other side (delayed chunks included).
  size_t buffer_bytes_max = 256 * 1024;
  // An upstream connect not done by then closes the client connection.
  std::chrono::milliseconds connect_timeout{5000};
};

struct ProxyStats {
  uint64_t connections_accepted = 0;  // proxied (upstream connect attempted)
  uint64_t connections_active = 0;
  uint64_t connections_refused = 0;  // reset at accept: connections_max reached
  uint64_t bytes_upstream = 0;       // client -> server, forwarded
  uint64_t bytes_downstream = 0;     // server -> client, forwarded
  uint64_t bytes_buffered = 0;       // queued in the proxy now, both directions
};

class FaultProxy {
 public:
  explicit FaultProxy(FaultProxyOptions options);
  ~FaultProxy();  // Stop()
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Binds the listener, resolves the upstream and starts the loop thread.
  // Once per proxy; InvalidArgument for a bad address, Unavailable when the
  // port cannot be bound or the upstream name does not resolve.
  Status Start();
  // Closes every connection and the listener, joins the thread. Idempotent.
  void Stop();

  const std::string& name() const;
  const std::string& upstream() const;
  // The bound port (after Start()), and "host:port" with it.
  int port() const;
  std::string listen_address() const;

  // Toxics, by name. Add: Conflict if the name exists. Update replaces the
  // toxic (timers, counters and the toxicity roll start again): NotFound if
  // absent. InvalidArgument for attributes out of range. Work before Start().
  Status AddToxic(const Toxic& toxic);
  Status UpdateToxic(const Toxic& toxic);
  Status RemoveToxic(const std::string& name);
  void RemoveAllToxics();
  std::vector<Toxic> toxics() const;  // in the order added

  // false: cut every connection and refuse new ones (the port stays bound).
  void SetEnabled(bool enabled);
  bool enabled() const;  // the flag set here; a `down` toxic also disables

  // Adds timeline entries relative to `start` (often: now); applied by the
  // proxy's own timer, also before Start() is called.
  Status ScheduleTimeline(const std::vector<TimelineEntry>& entries,
                          std::chrono::steady_clock::time_point start);
  void ClearTimeline();
  size_t timeline_pending() const;  // switch events not yet applied

  ProxyStats stats() const;
  // CPU time used by the loop thread so far (0 before Start()).
  std::chrono::nanoseconds loop_cpu_time() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace protean::harness::proxy
