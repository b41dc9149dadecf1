#include "harness/proxy/fault_proxy.h"
#include "core/mutex.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "harness/proxy/internal/control_state.h"
#include "harness/proxy/internal/proxy_loop.h"
#include "harness/proxy/internal/socket.h"

namespace protean::harness::proxy {

using internal::Fd;

struct FaultProxy::Impl {
  explicit Impl(FaultProxyOptions o)
      : options(std::move(o)),
        wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
        control([this] { Wake(); }) {}

  void Wake() const {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake.get(), &one, sizeof(one));
  }

  const FaultProxyOptions options;
  Fd wake;
  internal::ControlState control;
  internal::LoopCounters counters;
  Mutex lifecycle_mu;  // Start / Stop
  std::unique_ptr<internal::ProxyLoop> loop;
  std::thread thread;
  std::atomic<bool> stop{false};
  std::atomic<int> port{0};
  std::string listen_host;
};

FaultProxy::FaultProxy(FaultProxyOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

FaultProxy::~FaultProxy() { Stop(); }

Status FaultProxy::Start() {
  MutexLock lock(&impl_->lifecycle_mu);
  const FaultProxyOptions& o = impl_->options;
  if (impl_->loop != nullptr) return Status::Conflict("proxy " + o.name + " already started");
  if (!impl_->wake.valid()) return Status::Internal("proxy " + o.name + ": eventfd failed");
  internal::HostPort listen, upstream;
  PROTEAN_RETURN_IF_ERROR(internal::ParseHostPort(o.listen, &listen));
  PROTEAN_RETURN_IF_ERROR(internal::ParseHostPort(o.upstream, &upstream));
  internal::SocketAddress upstream_address;
  PROTEAN_RETURN_IF_ERROR(internal::Resolve(upstream, &upstream_address));
  internal::Listener listener;
  const Status bound = listener.Open(listen);
  if (!bound.ok()) {
    return Status::Unavailable("proxy " + o.name + ": " + o.listen + ": " + bound.message());
  }
  impl_->port = listener.port();
  impl_->listen_host = listen.host;
  internal::LoopOptions loop_options{o.connections_max, o.buffer_bytes_max, o.connect_timeout,
                                     o.seed};
  auto loop =
      std::make_unique<internal::ProxyLoop>(loop_options, std::move(listener), upstream_address,
                                            &impl_->control, &impl_->counters, impl_->wake.get());
  PROTEAN_RETURN_IF_ERROR(loop->Init());
  impl_->loop = std::move(loop);
  impl_->thread = std::thread([impl = impl_.get()] { impl->loop->Run(impl->stop); });
  return Status::Ok();
}

void FaultProxy::Stop() {
  MutexLock lock(&impl_->lifecycle_mu);
  if (!impl_->thread.joinable()) return;
  impl_->stop = true;
  impl_->Wake();
  impl_->thread.join();
}

const std::string& FaultProxy::name() const { return impl_->options.name; }
const std::string& FaultProxy::upstream() const { return impl_->options.upstream; }
int FaultProxy::port() const { return impl_->port; }

std::string FaultProxy::listen_address() const {
  MutexLock lock(&impl_->lifecycle_mu);
  return internal::FormatHostPort({impl_->listen_host, impl_->port});
}

Status FaultProxy::AddToxic(const Toxic& toxic) { return impl_->control.Add(toxic); }
Status FaultProxy::UpdateToxic(const Toxic& toxic) { return impl_->control.Update(toxic); }
Status FaultProxy::RemoveToxic(const std::string& name) { return impl_->control.Remove(name); }
void FaultProxy::RemoveAllToxics() { impl_->control.RemoveAll(); }
std::vector<Toxic> FaultProxy::toxics() const { return impl_->control.toxics(); }
void FaultProxy::SetEnabled(bool enabled) { impl_->control.SetEnabled(enabled); }
bool FaultProxy::enabled() const { return impl_->control.enabled(); }

Status FaultProxy::ScheduleTimeline(const std::vector<TimelineEntry>& entries,
                                    std::chrono::steady_clock::time_point start) {
  return impl_->control.Schedule(entries, start);
}

void FaultProxy::ClearTimeline() { impl_->control.ClearTimeline(); }
size_t FaultProxy::timeline_pending() const { return impl_->control.timeline_pending(); }

ProxyStats FaultProxy::stats() const {
  const internal::LoopCounters& c = impl_->counters;
  return ProxyStats{c.accepted,       c.active,           c.refused,
                    c.bytes_upstream, c.bytes_downstream, c.bytes_buffered};
}

std::chrono::nanoseconds FaultProxy::loop_cpu_time() const {
  MutexLock lock(&impl_->lifecycle_mu);
  if (!impl_->thread.joinable()) return std::chrono::nanoseconds(0);
  clockid_t clock{};
  timespec ts{};
  if (pthread_getcpuclockid(impl_->thread.native_handle(), &clock) != 0 ||
      clock_gettime(clock, &ts) != 0) {
    return std::chrono::nanoseconds(0);
  }
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace protean::harness::proxy
