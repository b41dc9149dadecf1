#pragma once
// The fixture of the fault proxy tests (proxy_test.cc, proxy_bounds_test.cc):
// a FaultProxy (seed 7) in front of a loopback Upstream, and toxic builders.

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "harness/proxy/fault_proxy.h"
#include "tests/harness/proxy_test_util.h"

namespace protean::harness::proxy::testing {

using std::chrono::steady_clock;

inline Toxic MakeToxic(const std::string& name, ToxicType type, Stream stream) {
  Toxic t;
  t.name = name;
  t.type = type;
  t.stream = stream;
  return t;
}

inline Toxic Latency(int64_t ms, int64_t jitter_ms = 0, Stream stream = Stream::kDownstream) {
  Toxic t = MakeToxic("latency", ToxicType::kLatency, stream);
  t.latency_ms = ms;
  t.jitter_ms = jitter_ms;
  return t;
}

// An upstream timeout or reset_peer toxic with its `timeout` attribute.
inline Toxic WithTimeout(ToxicType type, int64_t timeout_ms) {
  Toxic t = MakeToxic(std::string(ToxicTypeName(type)), type, Stream::kUpstream);
  t.timeout_ms = timeout_ms;
  return t;
}

// Polls `done` every 5 ms for up to `timeout`.
template <typename F>
bool WaitFor(F done, Millis timeout = Millis(3000)) {
  const auto deadline = steady_clock::now() + timeout;
  while (!done()) {
    if (steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(Millis(5));
  }
  return true;
}

inline bool Closed(End end) { return end == End::kEof || end == End::kReset; }

// A started proxy with default options in front of upstream_; StartProxy()
// replaces it with other options. Open() connects a client and accepts its
// server end.
class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override { StartProxy(FaultProxyOptions{}); }

  void StartProxy(FaultProxyOptions options) {
    if (proxy_ != nullptr) proxy_->Stop();
    options.upstream = upstream_.address();
    options.seed = 7;
    proxy_ = std::make_unique<FaultProxy>(options);
    const Status started = proxy_->Start();
    ASSERT_TRUE(started.ok()) << started.message();
  }

  Pair Open() {
    Pair pair = OpenPair(proxy_->port(), upstream_);
    EXPECT_TRUE(pair.ok()) << "connection through the proxy not established";
    return pair;
  }

  Upstream upstream_;
  std::unique_ptr<FaultProxy> proxy_;
};

}  // namespace protean::harness::proxy::testing
