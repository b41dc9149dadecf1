// Each toxic of the fault proxy on a loopback connection opened BEFORE the
// toxic is switched on, measuring its effect (delay, rate, cut, reset), and
// the timeline. Timing bounds are generous: these run on a loaded 2-core CI
// machine. Every read has a timeout.

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

TEST_F(ProxyTest, LatencyDelaysAnOpenConnectionUntilRemoved) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  const double before = RoundTripMs(p);
  ASSERT_TRUE(proxy_->AddToxic(Latency(300)).ok());
  const double slow = RoundTripMs(p);
  ASSERT_TRUE(proxy_->RemoveToxic("latency").ok());
  const double after = RoundTripMs(p);
  std::printf("[measured] latency 300 ms: round trip before %.1f, with %.1f, removed %.1f ms\n",
              before, slow, after);
  EXPECT_GE(slow, 300.0);
  EXPECT_LE(slow, 300.0 + 1500.0);
  EXPECT_GE(after, 0.0);
  EXPECT_LT(after, 150.0);
}

TEST_F(ProxyTest, LatencyUpstreamDelaysRequests) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(proxy_->AddToxic(Latency(200, 0, Stream::kUpstream)).ok());
  const auto start = steady_clock::now();
  ASSERT_TRUE(SendAll(p.client.get(), "req"));
  EXPECT_EQ(ReadExactly(p.server.get(), 3).data, "req");
  const double one_way = MsSince(start);
  EXPECT_GE(one_way, 200.0);
  EXPECT_LE(one_way, 200.0 + 1500.0);
}

TEST_F(ProxyTest, JitterStaysWithinItsBounds) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(proxy_->AddToxic(Latency(100, 50)).ok());
  double low = 1e9, high = 0;
  for (int i = 0; i < 10; ++i) {
    const double rt = RoundTripMs(p);
    ASSERT_GE(rt, 0.0);
    low = std::min(low, rt);
    high = std::max(high, rt);
  }
  std::printf("[measured] latency 100 ± 50 ms: round trips %.1f .. %.1f ms\n", low, high);
  EXPECT_GE(low, 50.0);
  EXPECT_LE(high, 150.0 + 500.0);
  EXPECT_GE(high - low, 5.0) << "jitter had no visible effect";
}

TEST_F(ProxyTest, BandwidthPacesTheTransfer) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  Toxic bw = MakeToxic("bw", ToxicType::kBandwidth, Stream::kDownstream);
  bw.rate_kbps = 100;  // 100 000 bytes/s
  ASSERT_TRUE(proxy_->AddToxic(bw).ok());
  const std::string data = Pattern(50000);
  auto start = steady_clock::now();
  ASSERT_TRUE(SendAll(p.server.get(), data));
  ReadOutcome got = ReadExactly(p.client.get(), data.size(), Millis(10000));
  const double paced = MsSince(start);
  EXPECT_EQ(got.data, data);
  ASSERT_TRUE(proxy_->RemoveToxic("bw").ok());
  start = steady_clock::now();
  ASSERT_TRUE(SendAll(p.server.get(), data));
  got = ReadExactly(p.client.get(), data.size());
  const double free = MsSince(start);
  EXPECT_EQ(got.data, data);
  std::printf("[measured] bandwidth 100 KB/s: 50 KB in %.1f ms (%.1f KB/s); removed: %.1f ms\n",
              paced, 50.0 / (paced / 1000.0), free);
  EXPECT_GE(paced, 450.0);  // >= 48 KB paced after at most 2 KB of catch-up
  EXPECT_LE(paced, 3000.0);
  EXPECT_LT(free, 400.0);
}

TEST_F(ProxyTest, TimeoutZeroHoldsDataUntilRemoved) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(proxy_->AddToxic(MakeToxic("t", ToxicType::kTimeout, Stream::kUpstream)).ok());
  ASSERT_TRUE(SendAll(p.client.get(), "held"));
  EXPECT_FALSE(Readable(p.server.get(), Millis(500))) << "forwarded while the timeout was on";
  ASSERT_TRUE(proxy_->RemoveToxic("t").ok());
  EXPECT_EQ(ReadExactly(p.server.get(), 4).data, "held");
  EXPECT_GE(RoundTripMs(p), 0.0);
}

TEST_F(ProxyTest, TimeoutWithDurationClosesTheConnection) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  const auto start = steady_clock::now();
  ASSERT_TRUE(proxy_->AddToxic(WithTimeout(ToxicType::kTimeout, 300)).ok());
  ASSERT_TRUE(SendAll(p.client.get(), "lost"));
  const ReadOutcome server = ReadToEnd(p.server.get());
  const ReadOutcome client = ReadToEnd(p.client.get());
  const double closed = MsSince(start);
  std::printf("[measured] timeout 300 ms: closed after %.1f ms\n", closed);
  EXPECT_EQ(server.data, "") << "forwarded while the timeout was on";
  EXPECT_TRUE(Closed(server.end)) << EndName(server.end);
  EXPECT_TRUE(Closed(client.end)) << EndName(client.end);
  EXPECT_GE(closed, 300.0);
  EXPECT_LE(closed, 300.0 + 1500.0);
}

TEST_F(ProxyTest, ResetPeerResetsAtOnce) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(proxy_->AddToxic(MakeToxic("rst", ToxicType::kResetPeer, Stream::kDownstream)).ok());
  EXPECT_EQ(ReadToEnd(p.client.get(), Millis(2000)).end, End::kReset);
  EXPECT_EQ(ReadToEnd(p.server.get(), Millis(2000)).end, End::kReset);
}

TEST_F(ProxyTest, ResetPeerAfterItsTimeout) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  const auto start = steady_clock::now();
  ASSERT_TRUE(proxy_->AddToxic(WithTimeout(ToxicType::kResetPeer, 300)).ok());
  EXPECT_GE(RoundTripMs(p), 0.0) << "data must pass until the reset";
  const End end = ReadToEnd(p.client.get(), Millis(3000)).end;
  const double at = MsSince(start);
  std::printf("[measured] reset_peer 300 ms: reset after %.1f ms\n", at);
  EXPECT_EQ(end, End::kReset);
  EXPECT_GE(at, 300.0);
  EXPECT_LE(at, 300.0 + 1500.0);
}

TEST_F(ProxyTest, SlicerDeliversManySmallPiecesIntact) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  Toxic s = MakeToxic("slicer", ToxicType::kSlicer, Stream::kUpstream);
  s.average_size = 100;
  s.size_variation = 50;
  s.delay_us = 2000;
  ASSERT_TRUE(proxy_->AddToxic(s).ok());
  const std::string data = Pattern(5000, 3);
  const auto start = steady_clock::now();
  ASSERT_TRUE(SendAll(p.client.get(), data));
  const ReadOutcome got = ReadExactly(p.server.get(), data.size(), Millis(10000));
  const double took = MsSince(start);
  std::printf("[measured] slicer 100 ± 50 B, 2 ms: 5000 B in %d reads, %.1f ms\n", got.reads, took);
  EXPECT_EQ(got.data, data);
  EXPECT_GE(got.reads, 10);
  EXPECT_GE(took, 50.0);  // >= 33 pieces, 2 ms apart
}

TEST_F(ProxyTest, LimitDataClosesAfterExactlyNBytesUpstream) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  Toxic limit = MakeToxic("limit", ToxicType::kLimitData, Stream::kUpstream);
  limit.bytes = 1000;
  ASSERT_TRUE(proxy_->AddToxic(limit).ok());
  const std::string data = Pattern(5000);
  ASSERT_TRUE(SendAll(p.client.get(), data));
  const ReadOutcome server = ReadToEnd(p.server.get());
  EXPECT_EQ(server.data, data.substr(0, 1000));
  EXPECT_EQ(server.end, End::kEof);
  EXPECT_TRUE(Closed(ReadToEnd(p.client.get()).end));
}

TEST_F(ProxyTest, LimitDataClosesAfterExactlyNBytesDownstream) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(SendAll(p.server.get(), "before"));  // counted from the toxic's start only
  ASSERT_EQ(ReadExactly(p.client.get(), 6).data, "before");
  Toxic limit = MakeToxic("limit", ToxicType::kLimitData, Stream::kDownstream);
  limit.bytes = 777;
  ASSERT_TRUE(proxy_->AddToxic(limit).ok());
  const std::string data = Pattern(3000, 1);
  ASSERT_TRUE(SendAll(p.server.get(), data));
  const ReadOutcome client = ReadToEnd(p.client.get());
  EXPECT_EQ(client.data, data.substr(0, 777));
  EXPECT_EQ(client.end, End::kEof);
}

TEST_F(ProxyTest, DownCutsOpenConnectionsRefusesNewOnesAndComesBack) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  proxy_->SetEnabled(false);
  EXPECT_TRUE(Closed(ReadToEnd(p.client.get(), Millis(2000)).end));
  EXPECT_TRUE(Closed(ReadToEnd(p.server.get(), Millis(2000)).end));
  EXPECT_FALSE(ConnectTo(proxy_->port()).valid()) << "a connection was accepted while down";
  proxy_->SetEnabled(true);
  Fd again;
  EXPECT_TRUE(WaitFor([&] { return (again = ConnectTo(proxy_->port())).valid(); }));
  Pair back{std::move(again), upstream_.Accept()};
  ASSERT_TRUE(back.ok());
  EXPECT_GE(RoundTripMs(back), 0.0);
}

TEST_F(ProxyTest, DownOnTheTimeline) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  const auto start = steady_clock::now();
  TimelineEntry down{200, 400, MakeToxic("down", ToxicType::kDown, Stream::kDownstream)};
  ASSERT_TRUE(proxy_->ScheduleTimeline({down}, start).ok());
  EXPECT_TRUE(Closed(ReadToEnd(p.client.get(), Millis(3000)).end));
  const double cut = MsSince(start);
  EXPECT_FALSE(ConnectTo(proxy_->port()).valid());
  Fd again;
  EXPECT_TRUE(WaitFor([&] { return (again = ConnectTo(proxy_->port())).valid(); }));
  const double up = MsSince(start);
  std::printf("[measured] down on the timeline 200..600 ms: cut at %.1f, back at %.1f ms\n", cut,
              up);
  EXPECT_GE(cut, 200.0);
  EXPECT_GE(up, 600.0);
  EXPECT_LE(up, 600.0 + 1500.0);
}

TEST_F(ProxyTest, ToxicityZeroHasNoEffect) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  Toxic t = Latency(300);
  t.toxicity = 0;
  ASSERT_TRUE(proxy_->AddToxic(t).ok());
  const double rt = RoundTripMs(p);
  EXPECT_GE(rt, 0.0);
  EXPECT_LT(rt, 150.0);
}

TEST_F(ProxyTest, ToxicityHalfHitsSomeConnections) {
  Toxic t = Latency(200);
  t.toxicity = 0.5;
  ASSERT_TRUE(proxy_->AddToxic(t).ok());
  int slow = 0;
  for (int i = 0; i < 16; ++i) {
    Pair p = Open();
    ASSERT_TRUE(p.ok());
    slow += RoundTripMs(p) >= 200.0 ? 1 : 0;
  }
  std::printf("[measured] toxicity 0.5: %d of 16 connections delayed (seed=7)\n", slow);
  EXPECT_GE(slow, 2);
  EXPECT_LE(slow, 14);
}

TEST_F(ProxyTest, TimelineSwitchesAToxicOnAndOff) {
  Pair p = Open();
  ASSERT_TRUE(p.ok());
  const auto start = steady_clock::now();
  TimelineEntry entry{300, 500, Latency(250)};
  entry.toxic.name = "tl";
  ASSERT_TRUE(proxy_->ScheduleTimeline({entry}, start).ok());
  EXPECT_LT(RoundTripMs(p), 150.0);
  auto present = [&] { return !proxy_->toxics().empty(); };
  ASSERT_TRUE(WaitFor(present));
  const double on = MsSince(start);
  const double slow = RoundTripMs(p);
  ASSERT_TRUE(WaitFor([&] { return !present(); }));
  const double off = MsSince(start);
  const double fast = RoundTripMs(p);
  std::printf(
      "[measured] timeline latency 250 ms at 300 for 500: on %.1f, off %.1f, rt %.1f/%.1f\n", on,
      off, slow, fast);
  EXPECT_GE(on, 300.0);
  EXPECT_LE(on, 300.0 + 1000.0);
  EXPECT_GE(slow, 250.0);
  EXPECT_GE(off, 800.0);
  EXPECT_LE(off, 800.0 + 1000.0);
  EXPECT_LT(fast, 150.0);
  EXPECT_EQ(proxy_->timeline_pending(), 0u);
}

}  // namespace
}  // namespace protean::harness::proxy
