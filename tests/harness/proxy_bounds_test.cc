// The fault proxy's bounds and plumbing: connections_max, back-pressure,
// half-close and reset propagation, an unreachable upstream, Stop() with open
// connections, no busy loop, toxic changes from other threads, API errors.
// Every read has a timeout.

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "tests/harness/proxy_fixture.h"

namespace protean::harness::proxy {
namespace {

using namespace protean::harness::proxy::testing;  // NOLINT(build/namespaces)

TEST_F(ProxyTest, ForwardsBothWaysAndCounts) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  const std::string big = Pattern(200000);
  ASSERT_TRUE(SendAll(p.client.get(), big));
  EXPECT_EQ(ReadExactly(p.server.get(), big.size()).data, big);
  ASSERT_TRUE(SendAll(p.server.get(), "reply"));
  EXPECT_EQ(ReadExactly(p.client.get(), 5).data, "reply");
  EXPECT_TRUE(WaitFor([&] { return proxy_->stats().bytes_downstream == 5; }));
  const ProxyStats s = proxy_->stats();
  EXPECT_EQ(s.connections_accepted, 1u);
  EXPECT_EQ(s.connections_active, 1u);
  EXPECT_EQ(s.bytes_upstream, big.size());
}
TEST_F(ProxyTest, ConnectionsMaxIsEnforced) {
  FaultProxyOptions options;
  options.connections_max = 2;
  StartProxy(options);
  Pair a = Open(), b = Open();
  ASSERT_TRUE(a.ok() && b.ok());
  Fd third = ConnectTo(proxy_->port());
  ASSERT_TRUE(third.valid());
  EXPECT_TRUE(Closed(ReadToEnd(third.get(), Millis(10000)).end));  // a bound, not a speed goal
  EXPECT_TRUE(WaitFor([&] { return proxy_->stats().connections_refused == 1; }));
  EXPECT_GE(RoundTripMs(a), 0.0);
  a.client.Reset();
  a.server.Reset();
  EXPECT_TRUE(WaitFor([&] { return proxy_->stats().connections_active == 1; }));
  Pair c = Open();
  ASSERT_TRUE(c.ok());
  EXPECT_GE(RoundTripMs(c), 0.0);
}

TEST_F(ProxyTest, HalfCloseIsPropagated) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  ::shutdown(p.client.get(), SHUT_WR);
  const ReadOutcome eof = ReadToEnd(p.server.get());
  EXPECT_EQ(eof.end, End::kEof);
  EXPECT_EQ(eof.data, "");
  ASSERT_TRUE(SendAll(p.server.get(), "still open"));
  EXPECT_EQ(ReadExactly(p.client.get(), 10).data, "still open");
  p.server.Reset();
  EXPECT_EQ(ReadToEnd(p.client.get()).end, End::kEof);
  EXPECT_TRUE(WaitFor([&] { return proxy_->stats().connections_active == 0; }));
}

TEST_F(ProxyTest, ResetIsPropagated) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  ResetSocket(p.server);
  EXPECT_EQ(ReadToEnd(p.client.get()).end, End::kReset);
}

TEST_F(ProxyTest, UnreachableUpstreamClosesTheClient) {
  FaultProxyOptions options;
  options.upstream = "127.0.0.1:1";
  FaultProxy proxy(options);
  ASSERT_TRUE(proxy.Start().ok());
  Fd client = ConnectTo(proxy.port());
  ASSERT_TRUE(client.valid());
  EXPECT_TRUE(Closed(ReadToEnd(client.get()).end));
}

TEST_F(ProxyTest, BackPressureBoundsTheBufferAndLosesNothing) {
  FaultProxyOptions options;
  options.buffer_bytes_max = 64 * 1024;
  StartProxy(options);
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(proxy_->AddToxic(MakeToxic("hold", ToxicType::kTimeout, Stream::kUpstream)).ok());
  // Write without blocking until the client stalls twice in a row.
  const std::string data = Pattern(32 << 20, 5);
  size_t sent = 0;
  for (int stalls = 0, i = 0; stalls < 2 && i < 10000 && sent < data.size(); ++i) {
    const ssize_t n = ::send(p.client.get(), data.data() + sent,
                             std::min<size_t>(65536, data.size() - sent), MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      stalls = 0;
    } else {
      ++stalls;
      std::this_thread::sleep_for(Millis(100));
    }
  }
  std::this_thread::sleep_for(Millis(200));
  const uint64_t buffered = proxy_->stats().bytes_buffered;
  std::printf(
      "[measured] back-pressure: client wrote %zu bytes before blocking, proxy holds %llu\n", sent,
      static_cast<unsigned long long>(buffered));
  EXPECT_LT(sent, data.size()) << "the client was never blocked";
  EXPECT_LE(buffered, options.buffer_bytes_max);
  EXPECT_GT(buffered, 0u);
  ASSERT_TRUE(proxy_->RemoveToxic("hold").ok());
  const ReadOutcome got = ReadExactly(p.server.get(), sent, Millis(10000));
  EXPECT_EQ(got.data.size(), sent);
  EXPECT_TRUE(got.data == data.substr(0, sent)) << "bytes lost or reordered";
}

TEST_F(ProxyTest, StopClosesOpenConnections) {
  Pair a = Open(), b = Open();
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(proxy_->AddToxic(Latency(5000)).ok());
  ASSERT_TRUE(SendAll(b.server.get(), "in flight"));
  std::this_thread::sleep_for(Millis(50));
  const auto start = steady_clock::now();
  proxy_->Stop();
  EXPECT_LT(MsSince(start), 1000.0);
  for (Pair* p : {&a, &b}) {
    EXPECT_TRUE(Closed(ReadToEnd(p->client.get(), Millis(2000)).end));
    EXPECT_TRUE(Closed(ReadToEnd(p->server.get(), Millis(2000)).end));
  }
  EXPECT_FALSE(ConnectTo(proxy_->port()).valid());
  proxy_->Stop();  // idempotent
}

TEST_F(ProxyTest, IdleLoopDoesNotSpin) {
  FaultProxyOptions options;
  options.buffer_bytes_max = 64 * 1024;
  StartProxy(options);
  ASSERT_TRUE(proxy_->AddToxic(MakeToxic("up", ToxicType::kTimeout, Stream::kUpstream)).ok());
  ASSERT_TRUE(proxy_->AddToxic(MakeToxic("down", ToxicType::kTimeout, Stream::kDownstream)).ok());
  Toxic later = MakeToxic("later", ToxicType::kResetPeer, Stream::kUpstream);
  later.timeout_ms = 60000;
  ASSERT_TRUE(proxy_->AddToxic(later).ok());
  std::vector<Pair> pairs;
  for (int i = 0; i < 5; ++i) pairs.push_back(Open());
  const std::string mb = Pattern(1 << 20);
  // 0: idle. 1, 2: held, reading stopped by back-pressure. 3: client EOF
  // held. 4: the server sent and closed while held.
  ::send(pairs[1].client.get(), mb.data(), mb.size(), MSG_DONTWAIT);
  ::send(pairs[2].server.get(), mb.data(), mb.size(), MSG_DONTWAIT);
  ::shutdown(pairs[3].client.get(), SHUT_WR);
  ASSERT_TRUE(SendAll(pairs[4].server.get(), "bye"));
  pairs[4].server.Reset();
  std::this_thread::sleep_for(Millis(300));
  const auto cpu_before = proxy_->loop_cpu_time();
  EXPECT_GT(cpu_before.count(), 0) << "the loop's CPU clock reads nothing";
  std::this_thread::sleep_for(Millis(1000));
  const auto cpu = proxy_->loop_cpu_time() - cpu_before;
  const double cpu_ms = std::chrono::duration<double, std::milli>(cpu).count();
  std::printf("[measured] idle loop with 5 stalled connections: %.3f ms CPU in 1 s\n", cpu_ms);
  EXPECT_LT(cpu_ms, 50.0);
  EXPECT_EQ(proxy_->stats().connections_active, 5u);
}

TEST_F(ProxyTest, ToxicChangesFromOtherThreadsKeepTheStreamIntact) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  const std::string data = Pattern(1 << 20, 9);
  std::atomic<bool> done{false};
  auto churn = [&](Toxic t) {
    for (int i = 0; i < 2000 && !done; ++i) {
      EXPECT_TRUE(proxy_->AddToxic(t).ok());
      std::this_thread::sleep_for(Millis(1));
      EXPECT_TRUE(proxy_->UpdateToxic(t).ok());
      EXPECT_TRUE(proxy_->RemoveToxic(t.name).ok());
    }
  };
  Toxic slicer = MakeToxic("slicer", ToxicType::kSlicer, Stream::kUpstream);
  slicer.average_size = 1000;
  slicer.delay_us = 100;
  Toxic bw = MakeToxic("bw", ToxicType::kBandwidth, Stream::kUpstream);
  bw.rate_kbps = 20000;
  std::thread a(churn, Latency(2, 1, Stream::kUpstream));
  std::thread b(churn, slicer);
  std::thread c(churn, bw);
  std::thread writer([&] { EXPECT_TRUE(SendAll(p.client.get(), data)); });
  const ReadOutcome got = ReadExactly(p.server.get(), data.size(), Millis(20000));
  done = true;
  for (std::thread* t : {&a, &b, &c, &writer}) t->join();
  EXPECT_EQ(got.data.size(), data.size());
  EXPECT_TRUE(got.data == data) << "bytes lost or reordered";
}

TEST_F(ProxyTest, ToxicApiRejectsBadInput) {
  EXPECT_EQ(proxy_->AddToxic(Latency(-1)).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(proxy_->AddToxic(Latency(10)).ok());
  EXPECT_EQ(proxy_->AddToxic(Latency(20)).code(), StatusCode::kConflict);
  EXPECT_TRUE(proxy_->UpdateToxic(Latency(20)).ok());
  EXPECT_EQ(proxy_->toxics().at(0).latency_ms, 20);
  EXPECT_EQ(proxy_->RemoveToxic("nope").code(), StatusCode::kNotFound);
  Toxic other = Latency(1);
  other.name = "other";
  EXPECT_EQ(proxy_->UpdateToxic(other).code(), StatusCode::kNotFound);
  FaultProxyOptions bad;
  bad.upstream = "no-port";
  EXPECT_EQ(FaultProxy(bad).Start().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace protean::harness::proxy
